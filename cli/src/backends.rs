//! The state backends compiled into this `aic` besides `local`: one per cargo feature
//! (`postgres`, `s3`, both on by default), registered the way providers are, so that
//! the engine never links a database or cloud client.

use aic_engine::backend::StateBackends;

/// Every remote state backend this build offers.
pub fn registry() -> StateBackends {
    #[allow(unused_mut)] // without backend features only `local` is offered
    let mut backends = StateBackends::default();
    #[cfg(feature = "postgres")]
    backends.register("postgres", |settings, env| {
        let url = settings.get("url").map(String::as_str).unwrap_or("");
        let schema = settings.get("schema").map(String::as_str);
        Ok(std::sync::Arc::new(aic_state_postgres::Postgres::new(
            url, schema, env,
        )?))
    });
    #[cfg(feature = "s3")]
    backends.register("s3", |settings, env| {
        let get = |name: &str| settings.get(name).cloned();
        let s3 = aic_state_s3::Settings {
            bucket: get("bucket").unwrap_or_default(),
            key: get("key"),
            region: get("region").unwrap_or_default(),
            endpoint: get("endpoint"),
        };
        Ok(std::sync::Arc::new(aic_state_s3::S3::new(s3, env)?))
    });
    backends
}
