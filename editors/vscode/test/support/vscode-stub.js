// Just enough of the `vscode` module for extension.js and vscode-languageclient to start,
// restart and stop a language server outside VS Code. The parts the test looks at are
// real (settings, output channel, commands, error messages, event emitters, the diagnostic
// collection the client fills, and the value types it converts diagnostics into); everything
// else the client touches (feature registrations, document lists, status items) is an
// inert object that accepts any call and returns a disposable.
'use strict';

const path = require('path');

// An object that accepts any property access, call or `new`, and is not a promise.
function inert(name = 'vscode') {
  const fn = function () {};
  return new Proxy(fn, {
    get(_t, prop) {
      if (prop === 'then') return undefined;
      if (prop === 'dispose') return () => {};
      if (prop === Symbol.iterator) return function* () {};
      if (prop === Symbol.toPrimitive) return () => '';
      if (prop === 'length') return 0;
      return inert(`${name}.${String(prop)}`);
    },
    apply: () => inert(`${name}()`),
    construct: () => inert(`new ${name}`),
  });
}

class Disposable {
  constructor(fn) {
    this._fn = fn;
  }
  static from(...items) {
    return new Disposable(() => items.forEach((d) => d && d.dispose && d.dispose()));
  }
  dispose() {
    if (this._fn) this._fn();
    this._fn = null;
  }
}

class EventEmitter {
  constructor() {
    this._listeners = new Set();
    this.event = (listener, thisArg) => {
      const l = thisArg ? listener.bind(thisArg) : listener;
      this._listeners.add(l);
      return new Disposable(() => this._listeners.delete(l));
    };
  }
  fire(e) {
    for (const l of [...this._listeners]) l(e);
  }
  dispose() {
    this._listeners.clear();
  }
}

class Uri {
  constructor(fsPath) {
    this.scheme = 'file';
    this.fsPath = fsPath;
    this.path = fsPath;
  }
  static file(p) {
    return new Uri(path.resolve(p));
  }
  static parse(s) {
    return new Uri(s.replace(/^file:\/\//, ''));
  }
  toString() {
    return `file://${this.fsPath}`;
  }
}

// The value types the client converts diagnostics into, as plain data the tests can read.
class Position {
  constructor(line, character) {
    this.line = line;
    this.character = character;
  }
}

class Range {
  constructor(a, b, c, d) {
    if (typeof a === 'number') {
      this.start = new Position(a, b);
      this.end = new Position(c, d);
    } else {
      this.start = a;
      this.end = b;
    }
  }
}

class Diagnostic {
  constructor(range, message, severity) {
    this.range = range;
    this.message = message;
    this.severity = severity;
  }
}

// The client drops converted diagnostics whose token reads as cancelled, so the token must
// be real.
class CancellationTokenSource {
  constructor() {
    const cancelled = new EventEmitter();
    let requested = false;
    this.token = {
      get isCancellationRequested() {
        return requested;
      },
      onCancellationRequested: cancelled.event,
    };
    this.cancel = () => {
      if (!requested) {
        requested = true;
        cancelled.fire();
      }
    };
  }
  dispose() {}
}

const DiagnosticSeverity = { Error: 0, Warning: 1, Information: 2, Hint: 3 };

/** A fresh `vscode` module with the given settings (section `aic`) and workspace. */
function create({ settings = {}, workspace } = {}) {
  const state = {
    settings: { ...settings },
    output: [],
    errors: [],
    commands: new Map(),
    configListeners: new EventEmitter(),
    // What the client put into VS Code's Problems view: document URI → diagnostics.
    diagnostics: new Map(),
  };
  const diagnosticCollection = (name = 'aic') => ({
    name,
    set(uri, diagnostics) {
      const entries = Array.isArray(uri) ? uri : [[uri, diagnostics]];
      for (const [u, d] of entries) {
        if (d) state.diagnostics.set(u.toString(), d);
        else state.diagnostics.delete(u.toString());
      }
    },
    delete: (uri) => state.diagnostics.delete(uri.toString()),
    clear: () => state.diagnostics.clear(),
    get: (uri) => state.diagnostics.get(uri.toString()),
    has: (uri) => state.diagnostics.has(uri.toString()),
    forEach: (fn) => state.diagnostics.forEach((d, u) => fn(Uri.parse(u), d)),
    dispose: () => {},
  });
  const outputChannel = {
    name: 'aic',
    append: (s) => state.output.push(String(s)),
    appendLine: (s) => state.output.push(`${s}\n`),
    replace: () => {},
    clear: () => {},
    show: () => {},
    hide: () => {},
    dispose: () => {},
  };
  const getConfiguration = (section) => ({
    get: (key, dflt) => {
      const full = section ? `${section}.${key}` : key;
      return full in state.settings ? state.settings[full] : dflt;
    },
    has: (key) => `${section}.${key}` in state.settings,
    update: async () => {},
    inspect: () => undefined,
  });
  const vscode = new Proxy(
    {
      version: '1.82.0',
      Disposable,
      EventEmitter,
      Uri,
      Position,
      Range,
      Diagnostic,
      DiagnosticSeverity,
      CancellationTokenSource,
      languages: new Proxy(
        { createDiagnosticCollection: diagnosticCollection },
        { get: (t, p) => (p in t ? t[p] : inert(`languages.${String(p)}`)) },
      ),
      workspace: new Proxy(
        {
          workspaceFolders: workspace ? [{ uri: Uri.file(workspace), name: 'ws', index: 0 }] : undefined,
          getConfiguration,
          textDocuments: [],
          notebookDocuments: [],
          onDidChangeConfiguration: state.configListeners.event,
        },
        { get: (t, p) => (p in t ? t[p] : inert(`workspace.${String(p)}`)) },
      ),
      window: new Proxy(
        {
          createOutputChannel: () => outputChannel,
          showErrorMessage: async (msg) => {
            state.errors.push(msg);
            return undefined;
          },
          visibleTextEditors: [],
        },
        { get: (t, p) => (p in t ? t[p] : inert(`window.${String(p)}`)) },
      ),
      commands: new Proxy(
        {
          registerCommand: (id, fn) => {
            state.commands.set(id, fn);
            return new Disposable(() => state.commands.delete(id));
          },
          executeCommand: async () => undefined,
        },
        { get: (t, p) => (p in t ? t[p] : inert(`commands.${String(p)}`)) },
      ),
    },
    { get: (t, p) => (p in t ? t[p] : inert(String(p))) },
  );
  // Changes settings as the user would, firing onDidChangeConfiguration.
  state.change = (changes) => {
    Object.assign(state.settings, changes);
    state.configListeners.fire({
      affectsConfiguration: (s) => Object.keys(changes).some((k) => k === s || k.startsWith(`${s}.`)),
    });
  };
  return { vscode, state };
}

module.exports = { create };
