//! End to end: mistakes users make on the command line get exit code 1 and a message
//! saying what to do, and machine-readable output goes to stdout alone. Runs the real
//! `aic` binary.

mod e2e_common;

use e2e_common::Project;

#[test]
fn an_unknown_flag_prints_a_usage_line_and_exits_1() {
    let p = Project::fixture("lifecycle");
    let run = p
        .aic(&["plan", "--bogus"])
        .failure()
        .stderr_has("unexpected argument '--bogus'")
        .stderr_has("Usage: aic plan [OPTIONS]");
    assert!(run.stdout.is_empty(), "{run}");
    p.aic(&["frobnicate"])
        .failure()
        .stderr_has("unrecognized subcommand 'frobnicate'")
        .stderr_has("Usage: aic");
    p.aic(&["apply", "--parallelism", "many"])
        .failure()
        .stderr_has("invalid value 'many'");
    p.aic(&["plan", "--lock-timeout", "soon"])
        .failure()
        .stderr_has("`soon` is not a duration");
    // Help is not a mistake.
    p.aic(&["--help"]).success().stdout_has("Usage: aic");
    assert!(!p.exists(".aic"), "no mistaken command created a state");
}

#[test]
fn an_undeclared_environment_lists_the_declared_ones() {
    let p = Project::fixture("environments");
    let run = p
        .aic(&["plan", "--env", "nope"])
        .failure()
        .stderr_has("Unknown environment")
        .stderr_has("`nope` is not declared. Declared environments: dev, prod.");
    assert!(run.stdout.is_empty(), "{run}");
    // The same through AIC_ENV, and for apply.
    let mut cmd = p.command(&["apply", "--auto-approve"]);
    cmd.env("AIC_ENV", "nope");
    p.run(cmd, &["apply", "--auto-approve", "(AIC_ENV=nope)"])
        .failure()
        .stderr_has("Declared environments: dev, prod.");
    // No environment at all, when some are declared.
    p.aic(&["plan"])
        .failure()
        .stderr_has("choose one with --env or AIC_ENV: dev, prod");
    p.aic(&["env", "list"]).success().stdout_has("dev\nprod\n");
    assert!(!p.exists(".aic") && !p.exists("out"));
}

#[test]
fn state_commands_without_an_environment_say_which_to_choose() {
    let p = Project::fixture("environments");
    p.aic(&["apply", "--env", "dev", "--auto-approve"])
        .success();
    assert_eq!(p.state_list(Some("dev")).len(), 2);
    // Without --env there is no `default` state to show here: say so rather than
    // printing an empty list.
    p.aic(&["state", "list"])
        .failure()
        .stderr_has("choose one with --env or AIC_ENV: dev, prod");
    p.aic(&["output"])
        .failure()
        .stderr_has("choose one with --env or AIC_ENV: dev, prod");
}

#[test]
fn plan_in_a_directory_without_configuration_says_so() {
    let p = Project::empty();
    let run = p
        .aic(&["plan"])
        .failure()
        .stderr_has("No configuration files")
        .stderr_has("holds no .aic files");
    assert!(run.stdout.is_empty(), "{run}");
    p.aic(&["apply", "--auto-approve"])
        .failure()
        .stderr_has("holds no .aic files");
    assert!(!p.exists(".aic"), "nothing was created");
    // --dir points elsewhere: the message names that directory.
    let q = Project::fixture("lifecycle");
    let dir = p.path().to_string_lossy().into_owned();
    q.aic(&["plan", "--dir", &dir])
        .failure()
        .stderr_has(&format!("{dir} holds no .aic files"));
}

#[test]
fn validate_json_prints_json_on_stdout_only() {
    // A valid configuration: an empty array, nothing on stderr.
    let p = Project::fixture("lifecycle");
    let run = p.aic(&["validate", "--json"]).success();
    assert_eq!(run.json(), serde_json::json!([]));
    assert!(run.stderr.is_empty(), "{run}");

    // An invalid one: the diagnostics as JSON on stdout, still nothing on stderr.
    p.edit(
        "main.aic",
        "content  = \"hello\\n\"",
        "contnet  = \"hello\\n\"",
    );
    let run = p.aic(&["validate", "--json"]).failure();
    assert!(run.stderr.is_empty(), "{run}");
    let diags = run.json();
    let diags = diags.as_array().expect("an array of diagnostics");
    assert_eq!(diags.len(), 1, "{run}");
    let d = &diags[0];
    assert_eq!(d["code"], "E0230");
    assert_eq!(d["severity"], "error");
    assert!(
        d["file"].as_str().is_some_and(|f| f.ends_with("main.aic")),
        "{d}"
    );
    assert!(d["line"].as_u64().is_some_and(|l| l > 0), "{d}");
    assert!(
        d["help"]
            .as_str()
            .is_some_and(|h| h.contains("Did you mean `content`?")),
        "{d}"
    );

    // Without --json the same diagnostic is rendered on stderr and stdout stays empty.
    let run = p
        .aic(&["validate"])
        .failure()
        .stderr_has("E0230")
        .stderr_has("1 error found.");
    assert!(run.stdout.is_empty(), "{run}");
}

#[test]
fn plan_json_is_one_json_document_on_stdout() {
    let p = Project::fixture("lifecycle");
    let run = p.aic(&["plan", "--format", "json"]).success();
    let plan = run.json();
    assert_eq!(plan["format_version"], "1");
    assert_eq!(plan["environment"], "default");
    assert_eq!(plan["summary"]["add"], 4);
    let addrs: Vec<&str> = plan["resource_changes"]
        .as_array()
        .expect("resource_changes")
        .iter()
        .filter_map(|c| c["address"].as_str())
        .collect();
    assert_eq!(addrs.len(), 4, "{plan:#}");
    for c in plan["resource_changes"].as_array().into_iter().flatten() {
        assert_eq!(c["actions"], serde_json::json!(["create"]), "{c}");
        assert_eq!(c["before"], serde_json::Value::Null, "{c}");
    }
    assert!(run.stdout.trim_end().ends_with('}'), "{run}");
    assert!(!p.exists(".aic"), "plan writes no state");
}

#[test]
fn a_warning_is_shown_on_validate_plan_and_apply_and_fails_none_of_them() {
    let p = Project::with_main("resource \"null_resource\" \"a\" {}\n");
    let warned = |run: e2e_common::Run| {
        run.success()
            .stderr_has("W0201")
            .stderr_has("Value for undeclared variable")
            .stderr_has("A value was given for `nope`, which the root module does not declare.")
    };
    warned(p.aic(&["validate", "--var", "nope=1"])).stderr_has("The configuration is valid.");
    warned(p.aic(&["plan", "--var", "nope=1"])).stdout_has("Plan: 1 to add");
    warned(p.aic(&["apply", "--var", "nope=1", "--auto-approve"]))
        .stdout_has("Apply complete! Resources: 1 added");
    assert_eq!(p.state_list(None), vec!["null_resource.a".to_owned()]);
}

#[test]
fn version_lists_the_providers_compiled_in_and_their_sdks() {
    let p = Project::empty();
    let run = p
        .aic(&["version"])
        .success()
        .stdout_has(&format!("aic {}", env!("CARGO_PKG_VERSION")));
    for builtin in ["null", "random", "local", "time"] {
        assert!(
            run.stdout
                .lines()
                .any(|l| l.split_whitespace().collect::<Vec<_>>() == [builtin, "built", "in"]),
            "no line for `{builtin}`:\n{run}"
        );
    }
    // `aws` is there with its cargo feature (on by default), naming the SDK it is built on
    // with its version.
    let aws = run
        .stdout
        .lines()
        .find(|l| l.trim_start().starts_with("aws "));
    if cfg!(feature = "aws") {
        let aws = aws.unwrap_or_else(|| panic!("no line for `aws`:\n{run}"));
        let sdk: Vec<&str> = aws.split_whitespace().collect();
        assert_eq!(sdk.get(1), Some(&"aws-sdk-ec2"), "{run}");
        assert!(
            sdk.get(2).is_some_and(|v| v.split('.').count() == 3),
            "no SDK version in `{aws}`"
        );
    } else {
        assert!(aws.is_none(), "`aws` listed without its feature:\n{run}");
    }
    // `ibm_quantum` likewise, with the REST API version it speaks (no IBM SDK for Rust).
    let ibm = run
        .stdout
        .lines()
        .find(|l| l.trim_start().starts_with("ibm_quantum "));
    if cfg!(feature = "ibm") {
        let ibm = ibm.unwrap_or_else(|| panic!("no line for `ibm_quantum`:\n{run}"));
        assert!(
            ibm.contains("Qiskit Runtime REST API") && ibm.contains("reqwest"),
            "{run}"
        );
    } else {
        assert!(
            ibm.is_none(),
            "`ibm_quantum` listed without its feature:\n{run}"
        );
    }
    // `google` likewise, naming Google's client crate.
    let google = run
        .stdout
        .lines()
        .find(|l| l.trim_start().starts_with("google "));
    if cfg!(feature = "google") {
        let google = google.unwrap_or_else(|| panic!("no line for `google`:\n{run}"));
        assert!(google.contains("google-cloud-container-v1"), "{run}");
    } else {
        assert!(
            google.is_none(),
            "`google` listed without its feature:\n{run}"
        );
    }
    // `azurerm` likewise, naming the Azure SDK crate it is built on.
    let azure = run
        .stdout
        .lines()
        .find(|l| l.trim_start().starts_with("azurerm "));
    if cfg!(feature = "azure") {
        let azure = azure.unwrap_or_else(|| panic!("no line for `azurerm`:\n{run}"));
        assert!(azure.contains("azure_mgmt_compute 0.21"), "{run}");
    } else {
        assert!(
            azure.is_none(),
            "`azurerm` listed without its feature:\n{run}"
        );
    }
    assert!(!p.exists(".aic"), "`aic version` wrote nothing");
}
