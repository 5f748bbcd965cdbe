//! The fields several `aws` types share, each name written once. A field of one type only
//! is declared beside that type's code.

use aic_provider::ResourceSchema;
use aic_provider_kit::{Attr, Declare, ID};
use indexmap::IndexMap;

pub(crate) const ARN: Attr<String> = Attr::new("arn");
pub(crate) const OWNER_ID: Attr<String> = Attr::new("owner_id");
pub(crate) const TAGS: Attr<IndexMap<String, String>> = Attr::new("tags");
pub(crate) const CIDR_BLOCK: Attr<String> = Attr::new("cidr_block");
pub(crate) const VPC_ID: Attr<String> = Attr::new("vpc_id");
pub(crate) const SUBNET_ID: Attr<String> = Attr::new("subnet_id");
pub(crate) const NAME: Attr<String> = Attr::new("name");
pub(crate) const DESCRIPTION: Attr<String> = Attr::new("description");
pub(crate) const AVAILABILITY_ZONE: Attr<String> = Attr::new("availability_zone");
pub(crate) const INSTANCE_TYPE: Attr<String> = Attr::new("instance_type");
pub(crate) const USER_DATA: Attr<String> = Attr::new("user_data");

/// The description of the ids AWS assigns.
const ID_TEXT: &str = "The identifier AWS assigned.";
const ARN_TEXT: &str = "The Amazon Resource Name.";
const OWNER_TEXT: &str = "The AWS account that owns the object.";
const TAGS_TEXT: &str = "Tags to set on the object; changed in place.";

/// `schema` with the attributes every tagged EC2 object has, in the documented order:
/// `tags`, `id`, `arn` and, when `owned`, `owner_id`.
pub(crate) fn tagged(schema: ResourceSchema, owned: bool) -> ResourceSchema {
    let schema = schema
        .with(TAGS.optional().describe(TAGS_TEXT))
        .with(ID.computed().describe(ID_TEXT))
        .with(ARN.computed().describe(ARN_TEXT));
    if owned {
        schema.with(OWNER_ID.computed().describe(OWNER_TEXT))
    } else {
        schema
    }
}
