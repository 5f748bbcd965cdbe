//! ARNs of EC2 objects. No API calls here.

use aic_lang::value::Value;

/// The AWS partition of a region, for ARNs.
pub fn partition(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else if region.starts_with("us-iso-") {
        "aws-iso"
    } else if region.starts_with("us-isob-") {
        "aws-iso-b"
    } else {
        "aws"
    }
}

/// The ARN of an EC2 object: `arn:aws:ec2:REGION:ACCOUNT:KIND/ID`; null when the owner is
/// unknown.
pub fn arn(region: &str, owner: Option<&str>, kind: &str, id: &str) -> Value {
    match owner.filter(|o| !o.is_empty()) {
        Some(owner) => Value::string(format!(
            "arn:{}:ec2:{region}:{owner}:{kind}/{id}",
            partition(region)
        )),
        None => Value::null(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arns_follow_the_partition() {
        assert_eq!(
            arn("eu-west-1", Some("123"), "vpc", "vpc-1").as_str(),
            Some("arn:aws:ec2:eu-west-1:123:vpc/vpc-1")
        );
        assert_eq!(
            arn("cn-north-1", Some("123"), "instance", "i-1").as_str(),
            Some("arn:aws-cn:ec2:cn-north-1:123:instance/i-1")
        );
        assert!(arn("eu-west-1", None, "vpc", "vpc-1").is_null());
    }
}
