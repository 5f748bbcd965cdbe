//! End to end through the `aic` binary: moving state between backends when the `backend`
//! block changes (`aic init --migrate-state`, docs/state.md *Moving state between
//! backends*). `aic init` records the block; a changed one is refused (E0655) until the
//! state is copied, with its kept versions, lineage and serial; a target that already
//! holds another state is refused (E0627) and nothing is overwritten.
//!
//! Needs PostgreSQL and moto (`remote_backends`: a test fails naming the setup command
//! when one is missing).

mod remote_backends;

use aic_provider_testkit::aic;
use aic_provider_testkit::runner::Project;
use remote_backends::{postgres_backend, s3_backend, Moto, Postgres};

fn config(backend: &str, v: &str) -> String {
    format!(
        "{backend}\n\nresource null_resource n {{\n  triggers = {{ v = \"{v}\" }}\n}}\n\nresource random_id r {{\n  byte_length = 4\n}}\n"
    )
}

/// `(lineage, serial, random_id.r's hex)` of the state as `aic state pull` prints it.
fn identity(p: &Project) -> (String, u64, String) {
    let state: serde_json::Value =
        serde_json::from_str(&p.aic(&["state", "pull"]).success().stdout).expect("JSON");
    let hex = state["resources"]
        .as_array()
        .and_then(|rs| rs.iter().find(|r| r["address"] == "random_id.r"))
        .map(|r| r["attributes"]["hex"].as_str().unwrap_or("").to_owned())
        .unwrap_or_default();
    (
        state["lineage"].as_str().unwrap_or("").to_owned(),
        state["serial"].as_u64().unwrap_or(0),
        hex,
    )
}

/// The serials `aic state history` lists.
fn serials(p: &Project) -> Vec<u64> {
    let mut serials: Vec<u64> = p
        .aic(&["state", "history"])
        .success()
        .stdout
        .lines()
        .skip(1)
        .filter_map(|l| l.split_whitespace().next()?.parse().ok())
        .collect();
    serials.sort_unstable();
    serials
}

#[test]
fn state_moves_from_local_to_postgres_to_s3_and_back_with_its_history() {
    let pg = Postgres::shared_or_own();
    let moto = Moto::shared_or_own();
    let (_, postgres) = postgres_backend(&pg);
    let (_, s3) = s3_backend(&moto);
    let aic = aic!()
        .env("AIC_PG_URL", &pg.url)
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AIC_S3_ENDPOINT", &moto.endpoint);

    let p = Project::with_main(&aic, &config("", "one"));
    p.aic(&["init"]).success();
    assert!(p.exists(".aic/backend.json"), "init records the backend");
    p.aic(&["apply", "--auto-approve"]).success();
    p.write("main.aic", &config("", "two"));
    p.aic(&["apply", "--auto-approve"]).success();
    let local = identity(&p);
    assert_eq!(local.1, 2);

    // To PostgreSQL: refused until migrated, then the same state with its history.
    p.write("main.aic", &config(&postgres, "two"));
    p.aic(&["plan"])
        .failure()
        .stderr_has("E0655")
        .stderr_has("aic init --migrate-state");
    p.aic(&["init"]).failure().stderr_has("E0655");
    p.aic(&["init", "--migrate-state"])
        .success()
        .stderr_has("Copied the state of environment `default` (serial 2, 1 kept version)");
    assert_eq!(identity(&p), local, "same lineage, serial and values");
    assert_eq!(serials(&p), [1, 2]);
    p.aic(&["plan"]).success().stdout_has("No changes.");
    p.write("main.aic", &config(&postgres, "three"));
    p.aic(&["apply", "--auto-approve"]).success();
    let on_postgres = identity(&p);
    assert_eq!(on_postgres.1, 3);
    assert_eq!(on_postgres.2, local.2, "random_id.r kept its value");

    // To S3.
    p.write("main.aic", &config(&s3, "three"));
    p.aic(&["init", "--migrate-state"])
        .success()
        .stderr_has("(serial 3, 2 kept versions)");
    assert_eq!(identity(&p), on_postgres);
    assert_eq!(serials(&p), [1, 2, 3]);
    p.aic(&["plan"]).success().stdout_has("No changes.");
    p.aic(&["rollback", "--auto-approve", "--to", "1"])
        .success()
        .stdout_has("written as serial 4");
    let on_s3 = identity(&p);

    // Back to local files, which still hold serial 2 of this state: refused, and the
    // old copy is left as it was.
    p.write("main.aic", &config("", "one"));
    let before = p.read(".aic/state/default.json");
    p.aic(&["init", "--migrate-state"])
        .failure()
        .stderr_has("E0627");
    assert_eq!(
        p.read(".aic/state/default.json"),
        before,
        "nothing overwritten"
    );
    p.aic(&["plan"]).failure().stderr_has("E0655");
    // Once the obsolete copy is removed, the state comes home.
    std::fs::remove_dir_all(p.file(".aic/state")).expect("remove the old copy");
    p.aic(&["init", "--migrate-state"]).success();
    assert_eq!(identity(&p), on_s3);
    assert_eq!(serials(&p), [1, 2, 3, 4]);
    p.aic(&["plan"]).success().stdout_has("No changes.");
}
