//! The engine's diagnostic codes: loading (E0200, E025x, E026x), state, backends, saved
//! plans and rollbacks (E06xx; E0601–E0619 and E0624–E0628 are the [`StateError`]s' own, in the `aic-state`
//! crate), policies
//! (E0804–E0807, W0805, W0806) and rollouts (E09xx). Each entry's documentation is what
//! `docs/diagnostics.md` says about it (generated from the catalogues by the
//! `diagnostics_doc` test).
//!
//! [`StateError`]: crate::state::StateError

aic_lang::catalogue! {
    /// The directory aic runs in (or `--dir DIR`) holds no `.aic` files, or reading it or a
    /// module it calls failed. The diagnostic has no span; the help names the directory and
    /// what went wrong.
    ///
    /// Fix: run aic in the configuration directory, or pass `--dir DIR`.
    E0200: Error "Cannot read configuration";
    /// A `--var-file FILE` cannot be read. The help gives the reason. No span.
    E0250: Error "Cannot read variable file";
    /// A `--var` argument has no `=`. Fix: write `--var NAME=VALUE`.
    E0251: Error "Malformed --var";
    /// The directory aic runs in (or `--dir DIR`) exists but holds no `.aic` files. No span;
    /// the help names the directory.
    ///
    /// Fix: run aic in the configuration directory, or pass `--dir DIR`.
    E0252: Error "No configuration files";
    /// Reported when planning. A `moved` block lacks `from` or `to`, a `removed` block lacks
    /// `from`, or an `import` block lacks `to` or `id`.
    ///
    /// ```aic
    /// moved { from = aws_instance.web }   # `moved` needs `to`
    /// ```
    E0260: Error "Incomplete refactoring block";
    /// Reported when planning. The `from` or `to` of a `moved`, `removed` or `import` block is
    /// not a resource address; the label says why (e.g. "expected TYPE.NAME", "an index must be
    /// a number or a quoted string").
    ///
    /// ```aic
    /// removed { from = "aws_instance.old" }   # addresses are written without quotes
    /// ```
    ///
    /// Fix: write an address such as `aws_instance.web` or `module.m.aws_instance.web[0]`.
    ///
    /// The same code is reported for an address given on the command line (`--target`,
    /// `--exclude`, `--replace`, `aic import`, `aic state mv`) that is not one.
    E0261: Error "Not a resource address";
    /// Reported when planning. A `removed` block names a resource that still has a resource
    /// block. No span; the help names the address.
    ///
    /// Fix: delete the resource block to forget the object (without destroying it), or delete
    /// the `removed` block.
    E0262: Error "Removed resource still configured";
    /// Reported when planning. An `import` block's `to` names an address without a resource
    /// block. No span.
    ///
    /// Fix: add the resource block, then import into it.
    E0263: Error "Import into an unconfigured address";
    /// Reported when planning. An `import` block's `id` is not a string, or is not known
    /// before apply.
    ///
    /// Fix: write the id as a string computed from constants: `id = "i-0abc1234"`.
    E0264: Error "Import id is not a known string";
    /// Reported when planning. The provider found no object with the `import` block's `id`.
    /// No span; the help names the type, id and address.
    ///
    /// Fix: check the id.
    E0265: Error "Object to import not found";
    /// Reading, writing or syncing a state file, its journal, its history or its lock failed:
    /// the message names the file and the operating system's error. Nothing half-written is
    /// left behind: writes go to a temporary file that is renamed only once complete.
    ///
    /// Fix: check that the path exists, is writable by you and that the disk is not full.
    E0601: Error "File operation failed";
    /// The state file is not valid JSON or not a valid state (cut short by a full disk, edited
    /// by hand). The label points at the line and column; every command refuses to use the
    /// file and none writes over it.
    ///
    /// Fix: `aic state history` lists the kept versions; `aic rollback --to SERIAL`, or copy
    /// `.aic/state/history/<env>/<serial>.json` over `<env>.json` by hand. The damaged file is
    /// left as it was, for inspection.
    E0602: Error "Damaged state file";
    /// The state file's `format_version` is higher than this aic knows. The file is untouched.
    ///
    /// Fix: upgrade aic to the version that wrote it.
    E0603: Error "State written by a newer aic";
    /// Another command holds the environment's lock (who, where, which operation, since
    /// when); this one waited `--lock-timeout` and gave up. When the holder ran on this host
    /// and its process is gone, the message says the lock looks stale.
    ///
    /// Fix: wait, raise `--lock-timeout`, or, when no aic is running there any more,
    /// `aic state unlock ID` with the id the message gives.
    E0604: Error "Environment locked";
    /// The lock file exists but cannot be read as a lock.
    ///
    /// Fix: if no aic is running for the environment, delete `<env>.lock`.
    E0605: Error "Unreadable lock file";
    /// `aic state unlock` on an environment that holds no lock. Nothing to do.
    E0606: Error "Not locked";
    /// `aic state unlock ID` with an id that is not the holder's: the lock changed hands since
    /// the id was read, and is not broken by mistake.
    ///
    /// Fix: read the current holder's id from the error of the command that waited, and run
    /// `aic state unlock` with it if that holder is really gone.
    E0607: Error "Lock held by another";
    /// This command's lock was broken (`aic state unlock`) while it ran; it refuses to write.
    ///
    /// Fix: run the command again.
    E0608: Error "Lock broken while running";
    /// A line of the journal before its last one cannot be read: damage, not an interrupted
    /// write (a cut-short last line is simply ignored). aic refuses to continue and names the
    /// line.
    ///
    /// Fix: keep a copy, move the journal aside and run `aic plan`: objects created by the lost
    /// operations may exist unrecorded; adopt them with `aic import`.
    E0609: Error "Damaged journal";
    /// The journal continues a version of the state other than the file's: the state file was
    /// replaced after the journal was written.
    ///
    /// Fix: restore the matching version from history, or move the journal aside to drop its
    /// operations.
    E0610: Error "Journal of another version";
    /// Writing found a newer serial on disk than the state this command read: another command
    /// wrote meanwhile.
    ///
    /// Fix: run the command again.
    E0611: Error "State changed since read";
    /// A write would replace a state of another lineage (a different state, not a version of
    /// this one); aic refuses.
    ///
    /// Fix: check which state file belongs to this environment; restore it from history.
    E0612: Error "State of another lineage";
    /// The store keeps no version with that serial. `aic rollback --to SERIAL` reports it as
    /// E0643, with the kept serials.
    E0613: Error "State version not found";
    /// An environment name that cannot name a state file: names use letters, digits, `-` and
    /// `_`, and start with a letter or digit.
    ///
    /// Fix: rename the environment.
    E0614: Error "Unusable environment name";
    /// A write to the journal failed (a disk error); it refuses further writes so that nothing
    /// is recorded out of order. Operations recorded before it are safe.
    ///
    /// Fix: fix the disk, then run `aic plan`.
    E0615: Error "Journal refuses writes";
    /// A state, a kept version, a journal entry or a saved plan is encrypted (the message names
    /// the key id it was sealed with), and the backend has no `encryption` block. Nothing was
    /// changed.
    ///
    /// Fix: add `encryption { key = env_var("AIC_STATE_KEY") }` (or `passphrase = …`) with the
    /// key it was encrypted with.
    E0616: Error "Encrypted, and no key configured";
    /// The backend has an `encryption` block, and what was read is clear text. aic refuses it so
    /// that nothing unencrypted is used or written by mistake. Nothing was changed.
    ///
    /// Fix: `aic state encrypt` encrypts an existing state, its history and journal.
    E0617: Error "Not encrypted";
    /// What was read is encrypted with a key other than the configured ones; the message names
    /// its key id and the configured ones. Nothing was changed.
    ///
    /// Fix: configure that key (or passphrase) as `key`, or as `fallback_key`
    /// (`fallback_passphrase`) while rotating with `aic state rekey`.
    E0618: Error "Encrypted with another key";
    /// Encrypted data fails authentication (AES-256-GCM): it was changed or damaged after it was
    /// written. aic uses none of it and overwrites nothing.
    ///
    /// Fix: restore it from a backup, or `aic rollback --to SERIAL` to a kept version.
    E0619: Error "Encrypted data changed or damaged";
    /// A resource entry of the state (or of a kept version, for a rollback) has an `address`
    /// that is not a resource address — the file was edited by hand. The help names it.
    ///
    /// Fix: `aic state rm ADDRESS` to forget the entry, or restore a good version.
    E0620: Error "Unreadable address in state";
    /// `aic state show`, `aic state rm` or `aic state mv` names an address the state does not
    /// hold. Nothing is changed (`aic state rm` of several addresses removes none when one is
    /// missing).
    ///
    /// Fix: `aic state list` shows what the state holds.
    E0621: Error "Address not in the state";
    /// `aic state mv` onto an address the state already holds, or `aic import` into an
    /// address that already manages an object. Nothing is changed.
    ///
    /// Fix: remove the entry at that address first (`aic state rm`), or choose another.
    E0622: Error "Address already in the state";
    /// `aic state mv` of an object to an address of another resource type. Nothing is changed.
    ///
    /// Fix: move it to an address of its own type.
    E0623: Error "Move to another type";
    /// Encrypting failed: the configured key or passphrase cannot be used (e.g. a `key` that is
    /// not 32 bytes of base64). Nothing was written.
    ///
    /// Fix: check the `encryption` block's key or passphrase.
    E0624: Error "Cannot encrypt";
    /// A remote backend (PostgreSQL, S3) failed or could not be reached: the message says what
    /// was being done and the server's error. Operations recorded before the failure are safe:
    /// the next command replays them and an interrupted apply continues where it stopped.
    ///
    /// Fix: check that the server is reachable and that the credentials allow the operation.
    E0625: Error "Backend failed";
    /// `aic state push FILE` of a state whose serial is older than the stored one (it moved on
    /// since the pushed state was pulled), or of another lineage. Nothing was written.
    ///
    /// Fix: pull again and redo the change, or pass `--force` (the overwritten version is kept
    /// in history).
    E0626: Error "Pushed state is stale";
    /// `aic init --migrate-state` (or an import of state) into a backend that already holds a
    /// state for the environment. Nothing was overwritten.
    ///
    /// Fix: check that the new `backend` block points where you meant; if the state there is
    /// obsolete, remove it first.
    E0627: Error "Target backend not empty";
    /// A `postgres` or `s3` backend's settings cannot be used: a malformed URL, schema, bucket
    /// or key. Nothing is read or written.
    ///
    /// Fix: correct the setting (see docs/state.md for each backend's settings).
    E0628: Error "Unusable backend settings";
    /// The environment is `protected = true` and the plan (or a rollback) would destroy or
    /// replace an object. Nothing is changed. The help names the object.
    ///
    /// Fix: if that is intended, run again with `--allow-destroy`.
    E0630: Error "Destroy in a protected environment";
    /// The plan (or a rollback) would destroy or replace an instance whose resource has
    /// `lifecycle { prevent_destroy = true }`. Nothing is changed.
    ///
    /// Fix: change the configuration so that it is kept, or lift the protection first.
    E0631: Error "Instance cannot be destroyed";
    /// A plan limited by `--target` or `--exclude` (Terraform's warning, word for word): the
    /// plan may leave out changes the configuration asks for. It goes on.
    ///
    /// Fix: none needed after an exceptional fix; plan without `--target`/`--exclude` to see
    /// everything that remains.
    W0630: Warning "Resource targeting is in effect";
    /// `aic rollback` without `--to` goes back to the newest version before the current one,
    /// and the environment keeps none (only one version was ever written). Nothing is changed.
    /// Fix: there is nothing to roll back to; `aic state history` lists what is kept.
    E0640: Error "No earlier state version";
    /// The version's lineage is not the state's: it is a version of a different state (a file
    /// copied in by hand). aic will not roll one state back to another. Fix: pick a serial of
    /// this state's history.
    E0641: Error "Rollback target belongs to another state";
    /// An object of the current state or of the target version has a type that no provider of
    /// the configuration offers any more (or that now belongs to another provider). The help
    /// names the address, the type and the provider. Nothing is changed. Fix: bring the provider
    /// back for the rollback, or forget the object with `aic state rm ADDR`.
    E0642: Error "Provider of a rolled-back resource is gone";
    /// `--to SERIAL` names a version that history does not hold (never written, or older than
    /// the last 50 kept). The help lists the kept serials and the current one. Nothing is
    /// changed.
    ///
    /// A rollback that would destroy or replace an object reports `E0630` in a protected
    /// environment (without `--allow-destroy`) and `E0631` for `prevent_destroy`, as apply does.
    E0643: Error "State version not kept";
    /// `backend KIND` with a kind that is not `local`, `postgres` or `s3`; the help suggests the
    /// closest one.
    ///
    /// ```aic
    /// backend lokal {}   # `lokal` is not a backend — Did you mean `local`?
    /// ```
    E0650: Error "Unknown backend";
    /// `backend postgres { … }` or `backend s3 { … }` in an `aic` built without that backend
    /// (its cargo feature, on by default, was turned off). Nothing is read, planned or written
    /// for that environment.
    ///
    /// Fix: use an `aic` built with the backend, or move the state elsewhere (`backend local`).
    E0651: Error "Backend not available";
    /// A setting the backend does not have (`local`: `path`; `postgres`: `url`, `schema`; `s3`:
    /// `bucket`, `key`, `region`, `endpoint`), a required one missing, a value that is not a
    /// non-empty string, a nested block other than one `encryption` block, or a second
    /// top-level backend. In an `encryption` block: a setting other than `key`, `passphrase`,
    /// `fallback_key` and `fallback_passphrase`, neither `key` nor `passphrase`, or two
    /// secrets of one kind (`key` and `passphrase`).
    ///
    /// ```aic
    /// environment staging {
    ///   backend local {
    ///     pth = "x"   # the `local` backend has no setting `pth` — Did you mean `path`?
    ///   }
    /// }
    /// ```
    E0652: Error "Invalid backend setting";
    /// A command that reads or writes an environment's state cannot tell where it lives,
    /// because the configuration's root module (its `backend` block, or the files it is in) has
    /// errors, reported with it. Nothing is read or written.
    ///
    /// Fix: correct the errors reported above.
    E0653: Error "State location unknown";
    /// `aic state encrypt`, `aic state decrypt` or `aic state rekey` in an environment whose
    /// backend has no `encryption` block: there is no key to encrypt or decrypt with. Nothing
    /// is read or written.
    ///
    /// Fix: add `encryption { key = env_var("AIC_STATE_KEY") }` (or `passphrase = …`) inside
    /// the `backend` block, then run the command again.
    E0654: Error "No encryption block";
    /// The `backend` block of an environment is not the one the last `aic init` recorded in
    /// `.aic/backend.json`: the environment's state is still where the old block put it, and
    /// using the new backend as it is would start from an empty state. Nothing is read or
    /// written. Also reported by `aic init --migrate-state` when the recorded block can no
    /// longer be read.
    ///
    /// Fix: `aic init --migrate-state` copies every environment's state and kept versions to
    /// the new backend; to start the new backend as it is, delete `.aic/backend.json` and run
    /// `aic init`.
    E0655: Error "Backend changed since init";
    /// A saved plan file could not be read (`aic apply FILE`, `aic show FILE`, `aic graph
    /// --plan FILE`) or written (`aic plan --out FILE`); the help names the file and the
    /// operating system's error.
    E0660: Error "Cannot use the plan file";
    /// The file given to `aic apply` or `aic show` is not a plan saved by `aic plan --out`,
    /// or the file given to `aic graph --plan` is not a JSON plan.
    ///
    /// Fix: make one with `aic plan --out FILE` (for `aic graph --plan`: `aic plan --format
    /// json > FILE`).
    E0661: Error "Not a plan file";
    /// A saved plan is applied only to what it was made from. `aic apply FILE` refuses it,
    /// changing nothing, when it was made for another environment (than `--env`), from another
    /// state (lineage), from an older version of the state (the serial moved on), from another
    /// configuration (its digest changed), with other `--var` values than it was made with (the
    /// file keeps only their salted digests, so they are given again), or when planning again
    /// now gives other changes (the real objects changed). The help says which.
    ///
    /// Fix: pass the `--var` arguments the plan was made with, or make a new plan with
    /// `aic plan --out FILE`.
    E0662: Error "Saved plan does not apply";
    /// `aic graph --plan FILE` colours a picture: it goes with `--format svg` only.
    ///
    /// Fix: add `--format svg`, or leave out `--plan`.
    E0663: Error "Plan given to a graph without colours";
    /// Something that cannot happen did: a bug in aic. Nothing more was done.
    ///
    /// Fix: report it, with the command and its output.
    E0690: Error "Internal error";
    /// The Rego module a policy reads does not parse. The label points at the line and column
    /// in the `.rego` file that the Rego parser reports, with its message; a secondary label
    /// marks the policy's `rego` attribute. Reported by `aic validate`, `aic plan` and
    /// `aic apply`. Policies are Rego v1 (OPA 1.0 syntax): rules need `if`, partial set rules
    /// `contains`, e.g. `deny contains msg if { … }`.
    E0804: Error "Rego policy does not parse";
    /// A planned instance does not satisfy a native policy's `assert` (or a Rego policy's query
    /// returned a violation), and the policy's level is `error`. The label is on the policy's
    /// `assert` (or `rego`) and names the instance and the policy's message. `aic plan` exits 1
    /// and `aic apply` refuses before any change (E0807). A check deferred to apply that fails
    /// there makes the instance fail with the same message. A policy of level `warning`
    /// reports W0805 instead.
    ///
    /// Fix: change the configuration so the instance complies (the message says how), or, if
    /// the rule should only report, set `level = "warning"`.
    E0805: Error "Policy violation";
    /// A planned instance does not satisfy a policy of `level = "warning"` (or its Rego query
    /// returned a violation). Reported only: the plan and apply go on.
    W0805: Warning "Policy warning";
    /// A warning from `aic validate` and every plan: a `policy` block in a module other than the
    /// root. Policies are read from the root module only, where each one applies to the
    /// resources of every module, so this one is not evaluated.
    ///
    /// Fix: move the policy to the root module (narrow it with `resources = ["TYPE", …]`).
    W0806: Warning "Policy in a called module";
    /// `aic apply` refuses a plan (a new one, or a saved one) in which a policy of level
    /// `error` failed; nothing is changed. The violations are reported above it (E0805), or,
    /// for a saved plan, listed in the help.
    ///
    /// Fix: change the configuration so that it complies, and plan again.
    E0807: Error "Plan has policy errors";
    /// A phase's `environment` names an environment the configuration does not declare. The
    /// help lists the declared ones (and the closest name).
    ///
    /// ```aic
    /// phase beta {
    ///   environment = stagin      # Did you mean `staging`?
    /// }
    /// ```
    E0901: Error "Unknown environment";
    /// `strategy KIND { … }` names no strategy. Strategies: `all_at_once`, `canary`, `waves`,
    /// `blue_green`.
    E0902: Error "Unknown strategy";
    /// An attribute or nested block a rollout, phase, strategy or check does not take
    /// (`phase` takes `environment`, `targets`, `on_failure`, `strategy` and `check`; `canary`
    /// takes `steps` and `pause`; `waves` takes `size`, `pause` and `max_failures`; an HTTP check
    /// takes `http`, `expect`, `timeout`, `retries` and `interval`; an assertion takes `assert`
    /// and `message`; an analysis takes a `prometheus { url, query, timeout }` block,
    /// `condition`, `failure_condition`, `interval`, `count`, `failure_limit`,
    /// `inconclusive_limit`, `consecutive_error_limit` and `inconclusive`; a `notify` takes
    /// `on` and one `webhook`, `slack` or `pagerduty` block).
    E0903: Error "Unknown rollout attribute";
    /// A setting of the wrong type or out of range: `steps` must be increasing percentages from
    /// 1 to 100; `pause`, `timeout` and `interval` are duration strings (`"30s"`, `"5m"`);
    /// `size`, `max_failures`, `retries` are whole numbers; `expect` is an HTTP status;
    /// `on_failure` is `"rollback"` or `"halt"`; an analysis's `count` is at least 1 and its
    /// `inconclusive` is `"fail"` or `"pass"`; a notification's `on` lists rollout events;
    /// these settings are constants.
    E0904: Error "Invalid rollout setting";
    /// A `check` has none of `http`, `assert` and a `prometheus` block, or more than one; or its
    /// `prometheus` block lacks `url` or `query`, or the analysis lacks its `condition`. Split
    /// a check doing two things into two.
    E0905: Error "Invalid check";
    /// An element of `targets` is not a module instance (`module.NAME[KEY]`), a resource
    /// (`TYPE.NAME`) or a data source (`data.TYPE.NAME`) of the root module, or (when the phase
    /// runs) names an instance its environment does not have.
    E0906: Error "Invalid rollout target";
    /// A rollout without phases, a phase without a name, or — when the configuration declares
    /// environments — a phase without `environment`.
    E0907: Error "Incomplete rollout";
    /// Two phases (or two checks of a phase) with the same name, or a phase with more than one
    /// `strategy` block.
    E0908: Error "Duplicate phase";
    /// `aic rollout NAME` names no rollout of the configuration. The help lists the declared
    /// ones and the closest name.
    E0909: Error "Unknown rollout";
    /// `aic rollout NAME --phase P` names no phase of the rollout, or `--env E` names an
    /// environment none of its phases runs in. The help lists the phases.
    E0910: Error "Unknown phase";
    /// A `notify` block of a rollout or a phase without a name, without a destination (one of
    /// `webhook { url }`, `slack { url }`, `pagerduty { routing_key, url }`), with more than
    /// one, or whose destination lacks its `url` or `routing_key`. Events (`on`) are
    /// `started`, `passed`, `failed`, `rolled_back` and — on a rollout — `completed`;
    /// PagerDuty takes `passed`, `failed` and `rolled_back` (see [rollouts.md](rollouts.md)).
    E0911: Error "Invalid notification";
}
