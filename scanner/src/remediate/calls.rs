//! The Resource Groups Tagging API calls of a remediation: reading the
//! current tags of known ARNs, tagging and untagging.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use aws_sdk_resourcegroupstagging as tagging;

use super::batch::{Batch, TagAction};
use crate::aws::describe_sdk_error;

/// The most ARNs one `GetResources` call takes in `ResourceARNList`.
pub const MAX_ARNS_PER_READ: usize = 100;

/// The most pages followed for one read (moto pages even answers to
/// `ResourceARNList`; AWS does not): an endpoint handing out tokens forever
/// is an error.
const MAX_READ_PAGES: usize = 1_000;

/// The current tags of `arns` (all in the client's region), by ARN; an ARN
/// the API does not return is absent (deleted, or without tags).
///
/// One `GetResources` call per [`MAX_ARNS_PER_READ`] ARNs with
/// `ResourceARNList` and no other parameter: AWS refuses it together with
/// filters or pagination parameters. Should an answer carry a pagination
/// token anyway (moto's does), it is followed with the token alone.
/// Errors: the first call that fails after the SDK's retries, described.
pub(crate) async fn read_tags(
    client: &tagging::Client,
    arns: &[String],
) -> Result<BTreeMap<String, BTreeMap<String, String>>, String> {
    let wanted: BTreeSet<&str> = arns.iter().map(String::as_str).collect();
    let mut found = BTreeMap::new();
    for chunk in arns.chunks(MAX_ARNS_PER_READ) {
        let mut token: Option<String> = None;
        let mut seen = HashSet::new();
        for page_number in 1.. {
            if page_number > MAX_READ_PAGES {
                return Err(format!("GetResources gave more than {MAX_READ_PAGES} pages for {} ARNs", chunk.len()));
            }
            let request = match &token {
                None => client.get_resources().set_resource_arn_list(Some(chunk.to_vec())),
                Some(token) => client.get_resources().pagination_token(token),
            };
            let page = request.send().await.map_err(|e| {
                format!("GetResources of {} ARNs (page {page_number}) failed: {}", chunk.len(), describe_sdk_error(&e))
            })?;
            let Some(list) = page.resource_tag_mapping_list.as_deref() else {
                return Err("GetResources answered without ResourceTagMappingList: not a Tagging API answer".into());
            };
            for mapping in list {
                let Some(arn) = mapping.resource_arn().filter(|a| wanted.contains(a)) else { continue };
                let tags = mapping.tags().iter().map(|t| (t.key().to_string(), t.value().to_string())).collect();
                found.insert(arn.to_string(), tags);
            }
            match page.pagination_token().filter(|t| !t.is_empty()) {
                Some(next) if !seen.insert(next.to_string()) => {
                    return Err(format!("GetResources returned pagination token {next:?} twice"));
                }
                Some(next) => token = Some(next.to_string()),
                None => break,
            }
        }
    }
    Ok(found)
}

/// Send one call; its per-ARN failures (`FailedResourcesMap`) as
/// `ErrorCode: ErrorMessage (HTTP status)` by ARN, only for the call's own
/// ARNs. `Err`: the whole call failed (after the SDK's retries), described.
pub(crate) async fn send(client: &tagging::Client, batch: &Batch) -> Result<BTreeMap<String, String>, String> {
    let arns = Some(batch.arns.clone());
    let failed = match &batch.action {
        TagAction::Tag(tags) => {
            let tags: HashMap<String, String> = tags.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
            let out = client
                .tag_resources()
                .set_resource_arn_list(arns)
                .set_tags(Some(tags))
                .send()
                .await
                .map_err(|e| format!("TagResources failed: {}", describe_sdk_error(&e)))?;
            failures(out.failed_resources_map(), &batch.arns)
        }
        TagAction::Untag(keys) => {
            let out = client
                .untag_resources()
                .set_resource_arn_list(arns)
                .set_tag_keys(Some(keys.iter().cloned().collect()))
                .send()
                .await
                .map_err(|e| format!("UntagResources failed: {}", describe_sdk_error(&e)))?;
            failures(out.failed_resources_map(), &batch.arns)
        }
    };
    Ok(failed)
}

/// `FailedResourcesMap` entries for `arns`, described.
fn failures(map: Option<&HashMap<String, tagging::types::FailureInfo>>, arns: &[String]) -> BTreeMap<String, String> {
    let Some(map) = map else { return BTreeMap::new() };
    map.iter()
        .filter(|(arn, _)| arns.contains(arn))
        .map(|(arn, info)| {
            let code = info.error_code().map_or("error", |c| c.as_str());
            let message = info.error_message().unwrap_or("no message");
            (arn.clone(), format!("{code}: {message} (HTTP {})", info.status_code()))
        })
        .collect()
}
