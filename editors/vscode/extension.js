// The VS Code side of the aic editor support: starts `aic lsp` (Language Server Protocol
// over stdio) for `.aic` files and restarts it on request or when its settings change.
// Highlighting comes from syntaxes/aic.tmLanguage.json and needs no server.
'use strict';

const os = require('os');
const path = require('path');
const vscode = require('vscode');
const { LanguageClient } = require('vscode-languageclient/node');

const SETTINGS = ['aic.path', 'aic.server.enabled', 'aic.server.args'];

let client = null;
let output = null;

/**
 * The command that runs the server, from the settings: `aic.path` (a bare name is looked
 * up on PATH; `~`, `${workspaceFolder}` and relative paths are expanded, against the
 * first workspace folder)
 * followed by `lsp` and `aic.server.args`. Exported for the tests.
 */
function serverCommand(config, workspaceFolder) {
  let command = String(config.get('path') || 'aic').trim() || 'aic';
  if (workspaceFolder) command = command.split('${workspaceFolder}').join(workspaceFolder);
  if (command === '~' || command.startsWith('~/')) {
    command = path.join(os.homedir(), command.slice(1));
  } else if (!path.isAbsolute(command) && /[\\/]/.test(command) && workspaceFolder) {
    command = path.resolve(workspaceFolder, command);
  }
  const extra = config.get('server.args') || [];
  return { command, args: ['lsp', ...extra.map(String)] };
}

function workspaceDir() {
  const folders = vscode.workspace.workspaceFolders;
  return folders && folders.length > 0 ? folders[0].uri.fsPath : undefined;
}

async function startServer() {
  const config = vscode.workspace.getConfiguration('aic');
  if (!config.get('server.enabled', true)) {
    output.appendLine('aic.server.enabled is off: not starting `aic lsp`.');
    return;
  }
  const cwd = workspaceDir();
  const { command, args } = serverCommand(config, cwd);
  output.appendLine(`starting: ${command} ${args.join(' ')}`);
  // No `transport`: the client then speaks over the process's stdin and stdout without
  // adding a `--stdio` argument, which `aic lsp` does not take.
  const serverOptions = { command, args, options: { cwd } };
  const clientOptions = {
    documentSelector: [
      { scheme: 'file', language: 'aic' },
      { scheme: 'untitled', language: 'aic' },
    ],
    synchronize: {
      // The server analyses whole module directories: tell it about files changed on
      // disk (by git, `aic fmt`, another editor) as well as open ones.
      fileEvents: vscode.workspace.createFileSystemWatcher('**/*.aic'),
    },
    outputChannel: output,
  };
  const c = new LanguageClient('aic', 'aic language server', serverOptions, clientOptions);
  client = c;
  try {
    await c.start();
  } catch (err) {
    client = null;
    // The client rejects with a string ("Launching server using command … failed. Error:
    // spawn … ENOENT") when the binary cannot be run, or with an Error.
    const text = err instanceof Error ? err.message : String(err);
    const why = /ENOENT/.test(text) || (err && err.code === 'ENOENT') ? 'was not found' : `failed: ${text}`;
    output.appendLine(`could not start the server: ${text}`);
    const choice = await vscode.window.showErrorMessage(
      `aic: \`${command} lsp\` ${why}. Set "aic.path" to the aic binary, or turn the ` +
        'language server off with "aic.server.enabled".',
      'Open Settings',
      'Show Output',
    );
    if (choice === 'Open Settings') {
      vscode.commands.executeCommand('workbench.action.openSettings', 'aic.');
    } else if (choice === 'Show Output') {
      output.show(true);
    }
  }
}

async function stopServer() {
  const c = client;
  client = null;
  if (c) {
    try {
      await c.stop();
    } catch (err) {
      output.appendLine(`stopping the server: ${err && err.message}`);
    }
  }
}

async function restartServer() {
  await stopServer();
  await startServer();
}

async function activate(context) {
  output = vscode.window.createOutputChannel('aic');
  context.subscriptions.push(output);
  context.subscriptions.push(
    vscode.commands.registerCommand('aic.restartServer', restartServer),
    vscode.commands.registerCommand('aic.showOutput', () => output.show(true)),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (SETTINGS.some((s) => e.affectsConfiguration(s))) restartServer();
    }),
  );
  await startServer();
}

function deactivate() {
  return stopServer();
}

module.exports = { activate, deactivate, serverCommand, restartServer, _client: () => client };
