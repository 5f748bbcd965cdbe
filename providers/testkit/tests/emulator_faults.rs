//! The testkit drives a project emulator's control API (`emulators/README.md`) through
//! the same fault interface as moto's proxy: throttling before a request runs, a 500 and a
//! timeout after it ran, each hitting exactly the requests it targets, once.

use std::time::Duration;

use aic_provider_testkit::backend::Emulator;
use aic_provider_testkit::http;
use aic_provider_testkit::{EmulatorFaults, Fault, FaultKind, Faults, Target};

const CLUSTERS: &str = "/v1/projects/p/locations/europe-west1/clusters";
/// Google APIs want an access token; the emulator accepts any.
const TOKEN: &str = "?access_token=test";

#[test]
fn faults_hit_the_requests_they_target_once() -> Result<(), String> {
    let gke = Emulator::start("gke", &[]);
    let faults = EmulatorFaults::new(gke.endpoint())?;
    let port = http::port_of(gke.endpoint()).ok_or("no port")?;
    let get = |path: &str| {
        http::request(port, "GET", &format!("{path}{TOKEN}"), "").map_err(|e| e.to_string())
    };
    assert_eq!(get(CLUSTERS)?.status(), 200);

    faults.inject(&Fault::once(FaultKind::Throttle, Target::request(CLUSTERS)))?;
    assert_eq!(faults.pending()?, 1);
    let throttled = get(CLUSTERS)?;
    assert_eq!(throttled.status(), 429, "{}", throttled.text());
    assert_eq!(faults.pending()?, 0);
    assert_eq!(get(CLUSTERS)?.status(), 200, "once only");

    faults.inject(&Fault::once(
        FaultKind::ServerError,
        Target::request(CLUSTERS),
    ))?;
    assert_eq!(
        get("/v1/projects/p/locations/europe-west1/serverConfig")?.status(),
        200
    );
    assert_eq!(get(CLUSTERS)?.status(), 500);

    let mut timeout = Fault::once(FaultKind::Timeout, Target::request(CLUSTERS));
    timeout.hold = Duration::from_millis(100);
    faults.inject(&timeout)?;
    assert!(
        get(CLUSTERS).is_err(),
        "the answer is held, then the connection dropped"
    );
    assert_eq!(faults.pending()?, 0);

    faults.inject(&Fault::once(FaultKind::Throttle, Target::request(CLUSTERS)))?;
    faults.clear()?;
    assert_eq!(faults.pending()?, 0);
    assert_eq!(get(CLUSTERS)?.status(), 200, "cleared");
    assert!(
        faults
            .inject(&Fault::once(FaultKind::Throttle, Target::Create))
            .is_err(),
        "an emulator cannot hit a provider call"
    );
    Ok(())
}
