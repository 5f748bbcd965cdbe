//! End to end: where each environment's state lives (spec §3.12). An environment's own
//! `backend local { path }` wins over the top-level one; settings are constants; a
//! backend that cannot be reached is refused before anything is written (the remote
//! backends themselves: e2e_remote_state.rs).

mod e2e_common;

use e2e_common::Project;

const CONFIG: &str = r#"
backend local {
  path = env_var("AIC_E2E_STATE", "state/shared")
}

environment staging {}

environment production {
  protected = true
  backend local {
    path = "state/production-only"
  }
}

resource local_file f {
  filename = "out/${env.name}.txt"
  content  = "hello ${env.name}\n"
}
"#;

#[test]
fn each_environment_keeps_its_state_where_its_backend_says() {
    let p = Project::with_main(CONFIG);
    p.aic(&["validate", "--env", "production"]).success();
    p.aic(&["apply", "--env", "production", "--auto-approve"])
        .success();
    p.aic(&["apply", "--env", "staging", "--auto-approve"])
        .success();
    assert!(p.exists("state/production-only/production.json"));
    assert!(p.exists("state/shared/staging.json"));
    assert!(!p.exists(".aic/state/production.json"));
    assert!(!p.exists(".aic/state/staging.json"));
    assert!(!p.exists("state/shared/production.json"));
    // Every command finds the state where it is.
    p.aic(&["state", "list", "--env", "production"])
        .success()
        .stdout_has("local_file.f");
    p.aic(&["plan", "--env", "staging", "--detailed-exitcode"])
        .success();
    // The top-level setting is a constant: env_var moves staging's state elsewhere.
    let mut cmd = p.command(&["plan", "--env", "staging", "--detailed-exitcode"]);
    cmd.env("AIC_E2E_STATE", "state/elsewhere");
    // Nothing is recorded there yet, so the file is planned again.
    p.run(cmd, &["plan", "--env", "staging", "--detailed-exitcode"])
        .code(2);
}

#[test]
fn a_backend_that_cannot_be_reached_is_refused_before_any_change() {
    // A PostgreSQL URL where nothing listens: the backend is in this build, its server
    // is not there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let p = Project::with_main(&CONFIG.replace(
        "backend local {\n    path = \"state/production-only\"\n  }",
        &format!(
            "backend postgres {{\n    url = \"postgres://aic@127.0.0.1:{port}/aic?connect_timeout=2\"\n  }}"
        ),
    ));
    p.aic(&["validate", "--env", "production"]).success();
    p.aic(&["apply", "--env", "production", "--auto-approve"])
        .failure()
        .stderr_has(&format!("postgres://aic@127.0.0.1:{port}/aic"));
    assert!(!p.exists("out/production.txt"), "nothing may be created");
    assert!(!p.exists(".aic/state/production.json"));
    // The other environment is unaffected.
    p.aic(&["apply", "--env", "staging", "--auto-approve"])
        .success();
}

#[test]
fn backend_settings_are_checked() {
    let p = Project::with_main(
        r#"
backend lokal {}

environment staging {
  backend local {
    pth = "x"
  }
}

resource null_resource n {}
"#,
    );
    p.aic(&["validate", "--env", "staging"])
        .failure()
        .stderr_has("E0650")
        .stderr_has("Did you mean `local`?")
        .stderr_has("E0652")
        .stderr_has("the `local` backend has no setting `pth`")
        .stderr_has("Did you mean `path`?");
}
