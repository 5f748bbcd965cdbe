//! GKE's resource names (`projects/P/locations/L/clusters/C[/nodePools/N]`), which are
//! also the ids of aic's objects and what `aic import` takes.

use aic_provider::ProviderError;
use indexmap::IndexMap;

/// A cluster's full name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ClusterName {
    pub project: String,
    pub location: String,
    pub cluster: String,
}

impl ClusterName {
    /// `projects/P/locations/L`
    pub fn parent(&self) -> String {
        format!("projects/{}/locations/{}", self.project, self.location)
    }

    /// `projects/P/locations/L/clusters/C`
    pub fn path(&self) -> String {
        format!("{}/clusters/{}", self.parent(), self.cluster)
    }

    /// `projects/P/locations/L/clusters/C/nodePools/N`
    pub fn pool_path(&self, pool: &str) -> String {
        format!("{}/nodePools/{pool}", self.path())
    }

    /// Reads `projects/P/locations/L/clusters/C`.
    pub fn parse(id: &str) -> Result<ClusterName, ProviderError> {
        match id.split('/').collect::<Vec<_>>()[..] {
            ["projects", project, "locations", location, "clusters", cluster]
                if [project, location, cluster].iter().all(|s| !s.is_empty()) =>
            {
                Ok(ClusterName {
                    project: project.to_owned(),
                    location: location.to_owned(),
                    cluster: cluster.to_owned(),
                })
            }
            _ => Err(bad_id(
                id,
                "projects/PROJECT/locations/LOCATION/clusters/CLUSTER",
            )),
        }
    }
}

/// Reads `projects/P/locations/L/clusters/C/nodePools/N`.
pub fn parse_pool(id: &str) -> Result<(ClusterName, String), ProviderError> {
    let format = "projects/PROJECT/locations/LOCATION/clusters/CLUSTER/nodePools/POOL";
    let (cluster, pool) = id
        .rsplit_once("/nodePools/")
        .ok_or_else(|| bad_id(id, format))?;
    if pool.is_empty() || pool.contains('/') {
        return Err(bad_id(id, format));
    }
    Ok((
        ClusterName::parse(cluster).map_err(|_| bad_id(id, format))?,
        pool.to_owned(),
    ))
}

fn bad_id(id: &str, format: &str) -> ProviderError {
    ProviderError::invalid_config(format!("`{id}` is not a GKE resource name"))
        .with_help(format!("Give it as `{format}`."))
}

/// A map of the API's in key order, `None` when empty (the API sends nothing for none).
pub fn sorted_map(
    map: &std::collections::HashMap<String, String>,
) -> Option<IndexMap<String, String>> {
    if map.is_empty() {
        return None;
    }
    let mut entries: Vec<(String, String)> =
        map.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    entries.sort();
    Some(entries.into_iter().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_bad_ones_say_the_format() {
        let name = ClusterName::parse("projects/p/locations/europe-west1/clusters/c").ok();
        assert_eq!(
            name.as_ref().map(ClusterName::path).as_deref(),
            Some("projects/p/locations/europe-west1/clusters/c")
        );
        let pool = parse_pool("projects/p/locations/l/clusters/c/nodePools/n").ok();
        assert_eq!(
            pool.map(|(c, n)| c.pool_path(&n)).as_deref(),
            Some("projects/p/locations/l/clusters/c/nodePools/n")
        );
        for bad in [
            "c",
            "projects/p/locations/l/clusters/",
            "projects/p/zones/z/clusters/c",
        ] {
            let err = ClusterName::parse(bad).err();
            assert!(
                err.is_some_and(|e| e.help_text().contains("projects/PROJECT")),
                "{bad}"
            );
        }
        assert!(parse_pool("projects/p/locations/l/clusters/c").is_err());
    }
}
