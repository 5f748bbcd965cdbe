//! Greengrass component recipes, JSON or YAML, as the configuration writes them.
//!
//! The service picks its parser from a recipe's first byte (`{` → JSON, anything else →
//! YAML), so a YAML recipe in flow style, or JSON the service would read otherwise, can
//! fail there although it is valid. The provider parses the recipe itself (JSON, else
//! YAML) and always sends the JSON of what it read, which every parser reads the same. No
//! API calls here.

use serde_json::Value as Json;

/// A recipe as read from the configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct Recipe {
    /// What the recipe says, as JSON.
    pub document: Json,
    /// `ComponentName`.
    pub name: String,
    /// `ComponentVersion`.
    pub version: String,
}

/// The field `key` of a recipe object, whose field names are case-insensitive.
fn field<'a>(object: &'a Json, key: &str) -> Option<&'a Json> {
    object
        .as_object()?
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .map(|(_, v)| v)
}

impl Recipe {
    /// Reads recipe `text` (JSON, or else YAML); an error says what is wrong.
    pub fn parse(text: &str) -> Result<Recipe, String> {
        let document: Json = match serde_json::from_str(text) {
            Ok(json) => json,
            Err(json_error) => serde_yaml_ng::from_str(text).map_err(|yaml_error| {
                if text.trim_start().starts_with('{') {
                    format!("the recipe is neither JSON ({json_error}) nor YAML ({yaml_error})")
                } else {
                    format!("the recipe is not valid YAML: {yaml_error}")
                }
            })?,
        };
        if !document.is_object() {
            return Err(
                "a recipe must be an object of fields (`RecipeFormatVersion`, \
                        `ComponentName`, `ComponentVersion`, `Manifests`, …)"
                    .to_owned(),
            );
        }
        let text_field = |key: &str| match field(&document, key) {
            Some(Json::String(s)) if !s.is_empty() => Ok(s.clone()),
            Some(_) => Err(format!("the recipe's `{key}` must be a string")),
            None => Err(format!("the recipe has no `{key}`")),
        };
        let name = text_field("ComponentName")?;
        let version = text_field("ComponentVersion")?;
        Ok(Recipe {
            document,
            name,
            version,
        })
    }

    /// What is sent to the service: the recipe's JSON.
    pub fn to_json(&self) -> String {
        self.document.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const YAML: &str = "---\nRecipeFormatVersion: '2020-01-25'\ncomponentname: com.example.Hello\nComponentVersion: 1.0.0\nManifests:\n  - Platform: {os: linux}\n    Lifecycle: {Run: echo hi}\n";

    #[test]
    fn yaml_and_json_recipes_read_alike() {
        let yaml = Recipe::parse(YAML).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(yaml.name, "com.example.Hello");
        assert_eq!(yaml.version, "1.0.0");
        let json = Recipe::parse(&yaml.to_json()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(json, yaml);
        assert!(yaml.to_json().starts_with('{'));
    }

    #[test]
    fn flow_style_yaml_is_sent_as_json() {
        let recipe = Recipe::parse(
            "{RecipeFormatVersion: 2020-01-25, ComponentName: a.B, ComponentVersion: 2.0.0, Manifests: []}",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(recipe.version, "2.0.0");
        let sent: Json = serde_json::from_str(&recipe.to_json()).unwrap_or_default();
        assert_eq!(field(&sent, "ComponentName"), Some(&Json::from("a.B")));
    }

    #[test]
    fn a_recipe_without_a_version_is_refused() {
        let err = Recipe::parse("ComponentName: a.B\nManifests: []\n").err();
        assert_eq!(err.as_deref(), Some("the recipe has no `ComponentVersion`"));
        assert!(Recipe::parse("[1, 2]").is_err());
        assert!(Recipe::parse("{not json: [").is_err());
    }
}
