//! The regions of each AWS partition: a maintained list, so that a scan of
//! "every region" needs no extra service SDK (EC2 `DescribeRegions`).
//!
//! Source: <https://docs.aws.amazon.com/global-infrastructure/latest/regions/aws-regions.html>
//! (checked 2026-11). Regions that need opting in are listed apart: an
//! account that has not enabled one answers every call there with an
//! authentication error, so they are scanned only when named or with
//! `--all-regions`.

/// The regions of partition `aws` enabled in every account.
pub const AWS_DEFAULT: &[&str] = &[
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ap-south-1",
    "ap-southeast-1",
    "ap-southeast-2",
    "ca-central-1",
    "eu-central-1",
    "eu-north-1",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "sa-east-1",
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
];

/// The opt-in regions of partition `aws`.
pub const AWS_OPT_IN: &[&str] = &[
    "af-south-1",
    "ap-east-1",
    "ap-east-2",
    "ap-south-2",
    "ap-southeast-3",
    "ap-southeast-4",
    "ap-southeast-5",
    "ap-southeast-6",
    "ap-southeast-7",
    "ca-west-1",
    "eu-central-2",
    "eu-south-1",
    "eu-south-2",
    "il-central-1",
    "me-central-1",
    "me-south-1",
    "mx-central-1",
];

/// The regions of partition `aws-cn`.
pub const AWS_CN: &[&str] = &["cn-north-1", "cn-northwest-1"];

/// The regions of partition `aws-us-gov`.
pub const AWS_US_GOV: &[&str] = &["us-gov-east-1", "us-gov-west-1"];

/// The partition of a region: `aws-cn`, `aws-us-gov` or `aws`.
pub fn partition_of(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    }
}

/// The regions of `region`'s partition, sorted: those enabled by default,
/// plus the opt-in ones when `opt_in`.
pub fn partition_regions(region: &str, opt_in: bool) -> Vec<String> {
    let mut out: Vec<String> = match partition_of(region) {
        "aws-cn" => AWS_CN.iter().map(|r| r.to_string()).collect(),
        "aws-us-gov" => AWS_US_GOV.iter().map(|r| r.to_string()).collect(),
        _ => {
            let extra = if opt_in { AWS_OPT_IN } else { &[] };
            AWS_DEFAULT.iter().chain(extra).map(|r| r.to_string()).collect()
        }
    };
    out.sort();
    out
}

/// Whether `name` has the shape of a region name (`eu-west-1`,
/// `us-gov-east-1`): lowercase words joined by `-`, ending in a number.
pub fn is_region_name(name: &str) -> bool {
    let parts: Vec<&str> = name.split('-').collect();
    parts.len() >= 3
        && parts.iter().all(|p| !p.is_empty())
        && parts[..parts.len() - 1].iter().all(|p| p.bytes().all(|b| b.is_ascii_lowercase()))
        && parts[parts.len() - 1].bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partitions_and_names() {
        assert_eq!(partition_regions("cn-north-1", true), vec!["cn-north-1", "cn-northwest-1"]);
        assert!(partition_regions("eu-west-1", false).contains(&"us-east-1".to_string()));
        assert!(!partition_regions("eu-west-1", false).contains(&"af-south-1".to_string()));
        assert!(partition_regions("eu-west-1", true).contains(&"af-south-1".to_string()));
        for good in AWS_DEFAULT.iter().chain(AWS_OPT_IN).chain(AWS_CN).chain(AWS_US_GOV) {
            assert!(is_region_name(good), "{good}");
        }
        for bad in ["", "eu", "eu-west", "EU-west-1", "eu-west-1a", "eu--1", "http://x"] {
            assert!(!is_region_name(bad), "{bad}");
        }
    }
}
