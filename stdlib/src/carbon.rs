//! `lowest_carbon_region` and the table of grid carbon intensity it reads,
//! `stdlib/data/carbon-intensity.json` (compiled into the crate), which states its source
//! and year.

use std::sync::LazyLock;

use aic_lang::types::Type;
use aic_lang::value::Value;
use serde::Deserialize;

use crate::{args, builtin, Category, Function, FunctionError};

const TABLE_JSON: &str = include_str!("../data/carbon-intensity.json");

/// The carbon-intensity table shipped with the standard library.
#[derive(Debug, Clone, Deserialize)]
pub struct CarbonTable {
    pub description: String,
    /// The unit of [`RegionIntensity::intensity`] (gCO2eq/kWh).
    pub unit: String,
    pub metric: String,
    /// The year the averages are for.
    pub data_year: u16,
    pub source: CarbonSource,
    pub notes: Vec<String>,
    pub regions: Vec<RegionIntensity>,
}

/// Where the figures come from.
#[derive(Debug, Clone, Deserialize)]
pub struct CarbonSource {
    pub name: String,
    pub url: String,
    pub upstream: String,
    /// When the figures were taken from the source (YYYY-MM-DD).
    pub retrieved: String,
}

/// The grid carbon intensity of one cloud region.
#[derive(Debug, Clone, Deserialize)]
pub struct RegionIntensity {
    /// `aws`, `gcp` or `azure`.
    pub provider: String,
    pub region: String,
    pub location: String,
    /// The grid zone the region sits in.
    pub zone: String,
    pub intensity: f64,
    /// How the figure was derived, when the source has no row for the region itself.
    #[serde(default)]
    pub note: Option<String>,
}

static TABLE: LazyLock<Result<CarbonTable, String>> =
    LazyLock::new(|| serde_json::from_str(TABLE_JSON).map_err(|e| e.to_string()));

/// The shipped carbon-intensity table, or why it could not be read (a build defect that
/// the tests catch).
pub fn carbon_intensity() -> Result<&'static CarbonTable, &'static str> {
    TABLE.as_ref().map_err(String::as_str)
}

impl CarbonTable {
    /// The entry for a region name.
    pub fn region(&self, name: &str) -> Option<&RegionIntensity> {
        self.regions.iter().find(|r| r.region == name)
    }
}

pub(crate) fn functions() -> Vec<Function> {
    vec![Function::eager(
        "lowest_carbon_region",
        Category::Sustainability,
        lowest_carbon_region::DOC,
        lowest_carbon_region,
    )
    .param("regions", Type::list(Type::String))
    .returns(Type::String)]
}

builtin! {
    /// The region with the lowest annual average grid carbon intensity, from a table
    /// shipped with aic (`stdlib/data/carbon-intensity.json`: Electricity Maps yearly
    /// averages for 2023, through the Green Software Foundation's cloud region metadata).
    /// Ties go to the region listed first. AWS, Google Cloud and Azure region names are
    /// known; any other name is an error.
    ///
    /// `lowest_carbon_region(["us-east-1", "eu-west-1", "eu-north-1"])` is `"eu-north-1"`.
    fn lowest_carbon_region(_ctx, args) {
        let table = carbon_intensity().map_err(|e| {
            FunctionError::call(format!("the carbon-intensity table is unreadable: {e}"))
        })?;
        let regions = args::strings(args, 0)?;
        let mut best: Option<(&str, f64)> = None;
        for name in regions {
            let Some(entry) = table.region(name) else {
                let hint = crate::closest(name, table.regions.iter().map(|r| r.region.as_str()))
                    .map(|s| format!("; did you mean {}?", Value::string(s)))
                    .unwrap_or_default();
                return Err(FunctionError::arg(
                    0,
                    format!("no carbon-intensity figure for region {}{hint}", Value::string(name)),
                ));
            };
            if best.is_none_or(|(_, lowest)| entry.intensity < lowest) {
                best = Some((name, entry.intensity));
            }
        }
        best.map(|(name, _)| Value::string(name))
            .ok_or_else(|| FunctionError::arg(0, "the list of regions is empty"))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use aic_lang::value::Value;

    use super::carbon_intensity;
    use crate::test_support::*;

    #[test]
    fn the_table_is_well_formed_and_covers_the_spec_regions() {
        let table = carbon_intensity();
        assert!(table.is_ok(), "{:?}", table.err());
        let Ok(table) = table else { return };
        assert_eq!(table.unit, "gCO2eq/kWh");
        assert_eq!(table.data_year, 2023);
        assert!(table.source.url.starts_with("https://"));
        assert!(!table.source.retrieved.is_empty());
        let mut seen = HashSet::new();
        for r in &table.regions {
            assert!(
                seen.insert(r.region.as_str()),
                "duplicate region {}",
                r.region
            );
            assert!(
                ["aws", "gcp", "azure"].contains(&r.provider.as_str()),
                "{}",
                r.provider
            );
            assert!(
                r.intensity > 0.0 && r.intensity < 1200.0,
                "{}: {}",
                r.region,
                r.intensity
            );
        }
        for region in [
            "us-east-1",
            "eu-west-1",
            "af-south-1",
            "asia-southeast1",
            "westeurope",
            "us-central1",
        ] {
            assert!(table.region(region).is_some(), "missing {region}");
        }
    }

    #[test]
    fn picks_the_lowest() {
        assert_eq!(
            show(
                "lowest_carbon_region",
                &[strs(&[
                    "us-east-1",
                    "eu-west-1",
                    "af-south-1",
                    "asia-southeast1"
                ])]
            ),
            r#""us-east-1""#
        );
        assert_eq!(
            show(
                "lowest_carbon_region",
                &[strs(&["us-east-1", "eu-north-1", "swedencentral"])]
            ),
            r#""eu-north-1""#
        );
        assert_eq!(
            show(
                "lowest_carbon_region",
                &[strs(&["swedencentral", "eu-north-1"])]
            ),
            r#""swedencentral""#
        );
    }

    #[test]
    fn errors() {
        assert_eq!(
            show("lowest_carbon_region", &[strs(&[])]),
            "error(arg 0): the list of regions is empty"
        );
        assert_eq!(
            show("lowest_carbon_region", &[strs(&["us-east-1", "eu-nort-1"])]),
            r#"error(arg 0): no carbon-intensity figure for region "eu-nort-1"; did you mean "eu-north-1"?"#
        );
        assert_eq!(
            show("lowest_carbon_region", &[strs(&["qqqqqqqqqqqq"])]),
            r#"error(arg 0): no carbon-intensity figure for region "qqqqqqqqqqqq""#
        );
        assert_eq!(
            show("lowest_carbon_region", &[Value::list([Value::null()])]),
            "error(arg 0): element 0 must be a string, found null"
        );
    }
}
