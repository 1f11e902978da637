//! Live readers: each resource type's own list calls find every resource,
//! tagged or not, and its detail calls read its full configuration, mapped
//! by a declarative table ([`table`]) into the Terraform attribute shape
//! the policies read.
//!
//! - **Services.** One reader per AWS service ([`Service`]), each behind a
//!   default-on Cargo feature of the same name (`s3`, `ec2`, `rds`, `kms`,
//!   `iam`, `ecr`, `eks`, `elbv2`), each reading one or more resource types
//!   ([`TypeReader`]). IAM and the S3 bucket list are global: they run once
//!   per account, in the account's [`GLOBAL_SCOPE`] scope.
//! - **Calls.** Every call is declared ([`Call`]): its IAM action, whether it
//!   lists or details, and which error codes mean "this setting is not
//!   configured" or "this resource is gone". [`Ctx::call`] makes it under
//!   the region's and the service's bounds on calls in flight and counts it.
//!   Detail calls are made only for the types a loaded policy judges (or
//!   all of them, for `scan --output` and `drift`).
//! - **Honesty.** A list call that fails makes its scope incomplete. A detail
//!   call refused for lack of permission, or failing after its retries,
//!   leaves the resource with those attributes unknown ([`Unread`]); a
//!   resource gone between the list and the detail call drops out quietly.
//!
//! `../shared/notes/aws-live-readers.md` lists what moto serves; the call
//! sets follow each service's API reference.

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use aws_config::SdkConfig;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use palisade_model::inventory::{GLOBAL_SCOPE, InventoryResource, TypeStats, Unread, UnreadReason};
use serde_json::{Map, Value};
use tokio::sync::Semaphore;

pub mod raw;
pub mod table;

#[cfg(feature = "ec2")]
mod ec2;
#[cfg(feature = "ecr")]
mod ecr;
#[cfg(feature = "eks")]
mod eks;
#[cfg(feature = "elbv2")]
mod elbv2;
#[cfg(feature = "iam")]
mod iam;
#[cfg(feature = "kms")]
mod kms;
#[cfg(feature = "rds")]
mod rds;
#[cfg(feature = "s3")]
mod s3;

use table::Rule;

/// Whether a call lists resources or reads one resource's details.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallKind {
    /// Finds resources; its failure makes the scope incomplete.
    List,
    /// Reads one resource's (or one page of resources') details; its
    /// failure leaves attributes unknown.
    Detail,
}

/// One API call a reader makes.
#[derive(Debug)]
pub struct Call {
    /// The IAM service prefix (`s3`, `ec2`, `elasticloadbalancing`).
    pub service: &'static str,
    /// The API action (`GetBucketAcl`).
    pub action: &'static str,
    /// List or detail.
    pub kind: CallKind,
    /// Error codes meaning "not configured" (an answer: the setting is
    /// absent), e.g. `ServerSideEncryptionConfigurationNotFoundError`.
    pub absent: &'static [&'static str],
    /// Error codes meaning "the resource is gone" (deleted since the list).
    pub gone: &'static [&'static str],
}

impl Call {
    /// A list call.
    pub const fn list(service: &'static str, action: &'static str) -> Call {
        Call { service, action, kind: CallKind::List, absent: &[], gone: &[] }
    }

    /// A detail call: `absent` codes mean "not configured", `gone` codes
    /// "deleted since the list".
    pub const fn detail(
        service: &'static str,
        action: &'static str,
        absent: &'static [&'static str],
        gone: &'static [&'static str],
    ) -> Call {
        Call { service, action, kind: CallKind::Detail, absent, gone }
    }

    /// The IAM permission this call needs: `service:Action`.
    pub fn permission(&self) -> String {
        format!("{}:{}", self.service, self.action)
    }
}

/// One resource type a live reader reads.
#[derive(Debug)]
pub struct TypeReader {
    /// The Terraform AWS provider type (`aws_security_group`).
    pub terraform_type: &'static str,
    /// The Tagging API type (`ec2:security-group`, `s3`), which
    /// `--resource-type` filters on.
    pub tagging_type: &'static str,
    /// Every call made for this type, list calls first.
    pub calls: &'static [&'static Call],
    /// The mapping from the raw output to Terraform attributes.
    pub rules: &'static [Rule],
    /// Whether the list or detail output carries the tags; else they are
    /// joined by ARN from the scope's Tagging API sweep.
    pub own_tags: bool,
}

/// A service's reading of one scope: fills `ctx` with what it found.
pub type ReadFn = for<'a> fn(&'a Ctx) -> Pin<Box<dyn Future<Output = ()> + Send + 'a>>;

/// One AWS service's reader.
pub struct Service {
    /// The Cargo feature and the name in per-service bounds (`ec2`).
    pub name: &'static str,
    /// Whether it runs once per account (IAM, S3) instead of per region.
    pub global: bool,
    /// The resource types it reads.
    pub types: &'static [&'static TypeReader],
    /// Reads one scope.
    pub read: ReadFn,
}

/// The services this build has readers for (its Cargo features).
pub fn services() -> Vec<&'static Service> {
    vec![
        #[cfg(feature = "s3")]
        &s3::SERVICE,
        #[cfg(feature = "ec2")]
        &ec2::SERVICE,
        #[cfg(feature = "rds")]
        &rds::SERVICE,
        #[cfg(feature = "kms")]
        &kms::SERVICE,
        #[cfg(feature = "iam")]
        &iam::SERVICE,
        #[cfg(feature = "ecr")]
        &ecr::SERVICE,
        #[cfg(feature = "eks")]
        &eks::SERVICE,
        #[cfg(feature = "elbv2")]
        &elbv2::SERVICE,
    ]
}

/// The type reader of Terraform type `terraform_type`, in this build.
pub fn type_reader(terraform_type: &str) -> Option<&'static TypeReader> {
    services().into_iter().flat_map(|s| s.types.iter().copied()).find(|t| t.terraform_type == terraform_type)
}

/// The least-privilege read-only IAM policy for a scan of the types the
/// filters admit (`palisade scan --print-iam-policy`): every reader call's
/// permission for those types, the Tagging API sweep (`tag:GetResources`)
/// and `sts:GetCallerIdentity` (which identifies the account), as a policy
/// document (`{"Version": "2012-10-17", "Statement": [...]}`). Scanning
/// more accounts with `--assume-role` also needs `sts:AssumeRole` on those
/// roles, granted to the caller, not to the roles.
pub fn iam_policy(filters: &palisade_model::inventory::ScanFilters) -> Value {
    let mut actions: BTreeSet<String> = ["sts:GetCallerIdentity".to_string(), "tag:GetResources".to_string()].into();
    for t in services().iter().flat_map(|s| s.types.iter()).filter(|t| filters.admits_type(t.tagging_type)) {
        actions.extend(t.calls.iter().map(|c| c.permission()));
    }
    serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "PalisadeScanReadOnly",
            "Effect": "Allow",
            "Action": actions.into_iter().collect::<Vec<_>>(),
            "Resource": "*",
        }],
    })
}

/// How a call went.
#[derive(Debug)]
pub enum Outcome<T> {
    /// It answered.
    Ok(T),
    /// It said the setting is not configured (a [`Call::absent`] code).
    Absent,
    /// It said the resource is gone (a [`Call::gone`] code).
    Gone,
    /// It was refused or failed after its retries.
    Failed(Failure),
}

impl<T> Outcome<T> {
    /// The answer mapped by `f`; the other outcomes as they are.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Outcome<U> {
        match self {
            Outcome::Ok(v) => Outcome::Ok(f(v)),
            Outcome::Absent => Outcome::Absent,
            Outcome::Gone => Outcome::Gone,
            Outcome::Failed(x) => Outcome::Failed(x),
        }
    }
}

/// A call refused or failed.
#[derive(Debug, Clone)]
pub struct Failure {
    /// The call.
    pub call: &'static Call,
    /// Refused for lack of permission.
    pub denied: bool,
    /// The service's error.
    pub error: String,
}

/// Error codes that mean "not authorized", across protocols.
const DENIED: [&str; 6] = [
    "AccessDenied",
    "AccessDeniedException",
    "UnauthorizedOperation",
    "UnauthorizedAccess",
    "AuthorizationError",
    "Forbidden",
];

/// A resource a reader found: its raw output so far and what failed.
#[derive(Debug)]
pub struct Found {
    /// Its type.
    pub reader: &'static TypeReader,
    /// Its ARN.
    pub arn: String,
    /// Its Terraform id, when it does not follow from the ARN.
    pub id: Option<String>,
    /// Its region, when not the scope's (S3 buckets: `GetBucketLocation`).
    pub region: Option<String>,
    /// Its tags from the reader's own output; `None`: join from the sweep.
    pub tags: Option<BTreeMap<String, String>>,
    /// The raw output, one member per call.
    pub raw: Map<String, Value>,
    /// The detail calls refused or failed.
    pub failures: Vec<Failure>,
    /// The detail calls not made (no loaded policy judges the type).
    pub skipped: Vec<&'static Call>,
    /// The list call that found it.
    pub found_by: &'static Call,
    /// What it belongs to ([`InventoryResource::part_of`]): a root
    /// volume's instance id, `aws` for a default security group.
    pub part_of: Option<String>,
}

impl Found {
    /// A resource found by `list`, whose output for it is `item`.
    pub fn new(reader: &'static TypeReader, arn: String, list: &'static Call, item: Value) -> Found {
        let mut raw = Map::new();
        raw.insert(list.action.to_string(), item);
        Found {
            reader,
            arn,
            id: None,
            region: None,
            tags: None,
            raw,
            failures: Vec::new(),
            skipped: Vec::new(),
            found_by: list,
            part_of: None,
        }
    }

    /// Records a detail call's outcome: its output under its action (`null`
    /// when not configured), or its failure. `false` when the resource is
    /// gone (drop it).
    pub fn record(&mut self, call: &'static Call, outcome: Outcome<Value>) -> bool {
        match outcome {
            Outcome::Ok(v) => {
                self.raw.insert(call.action.to_string(), v);
            }
            Outcome::Absent => {
                self.raw.insert(call.action.to_string(), Value::Null);
            }
            Outcome::Gone => return false,
            Outcome::Failed(f) => self.failures.push(f),
        }
        true
    }

    /// Records that the detail calls of `calls` were not made.
    pub fn skip(&mut self, calls: &[&'static Call]) {
        self.skipped.extend(calls.iter().copied().filter(|c| c.kind == CallKind::Detail));
    }
}

/// What one service's reading of one scope gave.
#[derive(Debug, Default)]
pub struct Collected {
    /// The resources found.
    pub found: Vec<Found>,
    /// List calls that failed after retries: the scope is incomplete.
    pub errors: Vec<String>,
    /// Calls made, by IAM permission.
    pub calls: BTreeMap<String, u64>,
    /// Per Terraform type: resources found and calls made.
    pub types: BTreeMap<String, TypeStats>,
}

/// One service's reading of one scope: its configuration, bounds and what
/// it collects.
pub struct Ctx {
    /// The account's configuration, in the scope's region (global scopes:
    /// the home region).
    pub config: SdkConfig,
    /// The scope's region, or [`GLOBAL_SCOPE`].
    pub region: String,
    /// The regions scanned (S3 keeps the buckets of these only).
    pub regions: Arc<Vec<String>>,
    /// The account id.
    pub account: String,
    /// The Terraform types wanted from this service (`--resource-type`).
    pub wanted: BTreeSet<&'static str>,
    /// The Terraform types whose detail calls are made.
    pub details: BTreeSet<&'static str>,
    /// How many resources' detail calls run at once ([`Ctx::each`]).
    concurrency: usize,
    region_permits: Arc<Semaphore>,
    service_permits: Arc<Semaphore>,
    collected: Mutex<Collected>,
}

impl Ctx {
    /// A context for reading one scope with these bounds.
    pub fn new(
        config: SdkConfig,
        scope: ScopeSpec,
        wanted: BTreeSet<&'static str>,
        details: BTreeSet<&'static str>,
    ) -> Ctx {
        Ctx {
            config,
            region: scope.region,
            regions: scope.regions,
            account: scope.account,
            wanted,
            details,
            concurrency: scope.concurrency.max(1),
            region_permits: scope.region_permits,
            service_permits: scope.service_permits,
            collected: Mutex::new(Collected::default()),
        }
    }

    /// Whether type `t` is wanted in this scan.
    pub fn wants(&self, t: &TypeReader) -> bool {
        self.wanted.contains(t.terraform_type)
    }

    /// Whether the detail calls of type `t` are made.
    pub fn details(&self, t: &TypeReader) -> bool {
        self.details.contains(t.terraform_type)
    }

    /// Whether this is an account's global scope.
    pub fn is_global(&self) -> bool {
        self.region == GLOBAL_SCOPE
    }

    /// Makes one call for type `ty` (a request's `send()`, a paginator's
    /// `next()`), under the bounds on calls in flight, counts it, and sorts
    /// its error. Throttling is retried by the SDK before this sees it.
    pub async fn call<T, E, R>(
        &self,
        ty: &TypeReader,
        call: &'static Call,
        request: impl Future<Output = Result<T, aws_smithy_runtime_api::client::result::SdkError<E, R>>>,
    ) -> Outcome<T>
    where
        E: std::error::Error + ProvideErrorMetadata + Send + Sync + 'static,
        R: std::fmt::Debug + super::HttpStatus,
    {
        let result = {
            let _region = self.region_permits.acquire().await;
            let _service = self.service_permits.acquire().await;
            request.await
        };
        self.count(ty, call);
        Self::sort(call, result)
    }

    fn sort<T, E, R>(
        call: &'static Call,
        result: Result<T, aws_smithy_runtime_api::client::result::SdkError<E, R>>,
    ) -> Outcome<T>
    where
        E: std::error::Error + ProvideErrorMetadata + Send + Sync + 'static,
        R: std::fmt::Debug + super::HttpStatus,
    {
        match result {
            Ok(v) => Outcome::Ok(v),
            Err(e) => {
                let code = e.code().unwrap_or_default().to_string();
                if call.absent.contains(&code.as_str()) {
                    Outcome::Absent
                } else if call.gone.contains(&code.as_str()) {
                    Outcome::Gone
                } else {
                    let error = super::describe_sdk_error(&e);
                    Outcome::Failed(Failure { call, denied: DENIED.contains(&code.as_str()), error })
                }
            }
        }
    }

    /// Makes one paginator call (`stream.next()`): `None` after the last page.
    pub async fn page<T, E, R>(
        &self,
        ty: &TypeReader,
        call: &'static Call,
        stream: &mut aws_smithy_async::future::pagination_stream::PaginationStream<
            Result<T, aws_smithy_runtime_api::client::result::SdkError<E, R>>,
        >,
    ) -> Option<Outcome<T>>
    where
        E: std::error::Error + ProvideErrorMetadata + Send + Sync + 'static,
        R: std::fmt::Debug + super::HttpStatus,
    {
        let next = {
            let _region = self.region_permits.acquire().await;
            let _service = self.service_permits.acquire().await;
            stream.next().await
        }?;
        self.count(ty, call);
        Some(Self::sort(call, next))
    }

    fn count(&self, ty: &TypeReader, call: &Call) {
        let mut c = self.collected.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        *c.calls.entry(call.permission()).or_default() += 1;
        c.types.entry(ty.terraform_type.to_string()).or_default().calls += 1;
    }

    /// Reads each of `items` with `read` (one resource's detail calls),
    /// several at once ([`ScopeSpec::concurrency`]), and keeps the
    /// resources it gives (`None`: gone, or not kept).
    pub async fn each<T, F, Fut>(&self, items: Vec<T>, read: F)
    where
        F: FnMut(T) -> Fut,
        Fut: Future<Output = Option<Found>>,
    {
        use futures_util::stream::StreamExt;
        let mut stream = futures_util::stream::iter(items).map(read).buffer_unordered(self.concurrency);
        while let Some(found) = stream.next().await {
            if let Some(found) = found {
                self.found(found);
            }
        }
    }

    /// Keeps a resource found.
    pub fn found(&self, found: Found) {
        let mut c = self.collected.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        c.types.entry(found.reader.terraform_type.to_string()).or_default().resources += 1;
        c.found.push(found);
    }

    /// Records a list call that failed: the scope is incomplete.
    pub fn list_failed(&self, failure: Failure) {
        let what = if failure.denied { "was denied" } else { "failed" };
        let line = format!("{} {what}: {}", failure.call.permission(), failure.error);
        self.collected.lock().unwrap_or_else(std::sync::PoisonError::into_inner).errors.push(line);
    }

    /// What was collected.
    pub fn into_collected(self) -> Collected {
        self.collected.into_inner().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Where a [`Ctx`] reads: the scope and its bounds.
pub struct ScopeSpec {
    /// The region or [`GLOBAL_SCOPE`].
    pub region: String,
    /// The regions scanned.
    pub regions: Arc<Vec<String>>,
    /// The account id.
    pub account: String,
    /// The region's bound on calls in flight (shared across accounts).
    pub region_permits: Arc<Semaphore>,
    /// The service's bound in this region.
    pub service_permits: Arc<Semaphore>,
    /// How many resources' detail calls run at once (the service's bound:
    /// the calls themselves wait for their permits).
    pub concurrency: usize,
}

/// A found resource as a snapshot resource: its ARN's classification, its
/// raw output and mapped properties, its unread attributes. `tags` are the
/// tags joined from the sweep (`Err`: why they could not be), used when the
/// reader has none of its own.
pub fn finish(
    found: Found,
    scope_region: &str,
    account: &str,
    tags: Result<BTreeMap<String, String>, String>,
    seen_at: &str,
) -> InventoryResource {
    let region = found.region.clone().unwrap_or_else(|| scope_region.to_string());
    let rules = found.reader.rules;
    // A failed detail call that maps no attribute is the reader's tag call
    // (ECR `ListTagsForResource`, ELBv2 `DescribeTags`): its resources'
    // tags are unread, not joined from a sweep that may not list them.
    let tag_call = found.failures.iter().find(|f| table::attributes_of_call(rules, f.call.action).is_empty());
    let tags = match (tag_call, &found.tags) {
        (Some(f), None) => {
            let what = if f.denied { "denied" } else { "failed" };
            Err(format!("{} {what}: {}", f.call.permission(), f.error))
        }
        _ => tags,
    };
    let (tags, tag_error) = match (found.tags, tags) {
        (Some(own), _) => (own, None),
        (None, Ok(joined)) => (joined, None),
        (None, Err(why)) => (BTreeMap::new(), Some(why)),
    };
    let mut r = super::inventory_resource(&found.arn, &region, account, tags, seen_at);
    r.terraform_type = Some(found.reader.terraform_type.to_string());
    if r.resource_type.is_empty() {
        // An address the ARN table does not classify (the account password policy).
        r.resource_type = found.reader.tagging_type.to_string();
        r.service = found.reader.tagging_type.split(':').next().unwrap_or_default().to_string();
    }
    if let Some(id) = found.id {
        r.id = Some(id);
    }
    let raw = Value::Object(found.raw);
    let mut properties = table::apply(rules, &raw);
    let mut unread: Vec<Unread> = found
        .failures
        .iter()
        .map(|f| Unread {
            call: f.call.permission(),
            reason: if f.denied { UnreadReason::Denied } else { UnreadReason::Failed },
            attributes: table::attributes_of_call(rules, f.call.action),
            error: f.error.clone(),
        })
        .collect();
    unread.extend(found.skipped.iter().map(|c| Unread {
        call: c.permission(),
        reason: UnreadReason::Skipped,
        attributes: table::attributes_of_call(rules, c.action),
        error: "not read: no loaded policy judges this type".into(),
    }));
    if let Some(why) = tag_error {
        let call = why.split(' ').next().filter(|c| c.contains(':') && !c.ends_with(':')).unwrap_or("tag:GetResources");
        unread.push(Unread {
            call: call.to_string(),
            reason: if why.contains("denied") { UnreadReason::Denied } else { UnreadReason::Failed },
            attributes: vec!["tags".into(), "tags_all".into()],
            error: why,
        });
    }
    unread.retain(|u| !u.attributes.is_empty());
    for u in &unread {
        for a in &u.attributes {
            properties.remove(a);
        }
    }
    r.found_by = found.found_by.permission();
    r.part_of = found.part_of;
    r.raw = raw.as_object().cloned();
    r.properties = Some(properties);
    r.unread = unread;
    r
}
