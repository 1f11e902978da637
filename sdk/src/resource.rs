//! The batch of resources handed to the guest, and views over it:
//! [`Batch`], [`Resource`], [`Stack`].

use serde::Deserialize;
use serde_json::Value;

use crate::prop::{Marks, PathSegment, Prop, camel_to_snake};

/// What the change does to a resource (ABI `op`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Op {
    /// The resource will be created.
    Create,
    /// The resource will be updated in place.
    Update,
    /// The resource will be replaced.
    Replace,
    /// The resource will be deleted.
    Delete,
    /// A data source will be read.
    Read,
    /// No change.
    NoOp,
    /// Removed from state without being destroyed.
    Forget,
    /// An existing object is imported.
    Import,
    /// An operation this SDK version does not know.
    Other,
}

impl Op {
    /// Parses the wire name (`"no-op"`, ...); unknown names give [`Op::Other`].
    pub fn parse(s: &str) -> Op {
        match s {
            "create" => Op::Create,
            "update" => Op::Update,
            "replace" => Op::Replace,
            "delete" => Op::Delete,
            "read" => Op::Read,
            "no-op" => Op::NoOp,
            "forget" => Op::Forget,
            "import" => Op::Import,
            _ => Op::Other,
        }
    }

    /// Whether the resource exists after the change (not deleted, not forgotten).
    pub fn will_exist(self) -> bool {
        !matches!(self, Op::Delete | Op::Forget)
    }
}

/// What kind of object a resource is (ABI `kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// A managed resource.
    Managed,
    /// A data source (Terraform `data`, Pulumi read resource).
    Data,
    /// A provider configuration.
    Provider,
    /// A Pulumi component resource, including the stack.
    Component,
    /// A kind this SDK version does not know.
    Other,
}

impl Kind {
    /// Parses the wire name; unknown names give [`Kind::Other`].
    pub fn parse(s: &str) -> Kind {
        match s {
            "managed" => Kind::Managed,
            "data" => Kind::Data,
            "provider" => Kind::Provider,
            "component" => Kind::Component,
            _ => Kind::Other,
        }
    }
}

/// One resource of the batch, as sent by the host (ABI section 4).
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct ResourceData {
    address: String,
    #[serde(rename = "type")]
    resource_type: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    provider: String,
    #[serde(default = "managed")]
    kind: String,
    #[serde(default = "no_op")]
    op: String,
    #[serde(default)]
    props: Value,
    #[serde(default)]
    before: Option<Value>,
    #[serde(default)]
    secret: Vec<Vec<PathSegment>>,
    /// Values not set in the configuration (ABI section 4).
    #[serde(default)]
    unset: Vec<Vec<PathSegment>>,
    /// Values the input holds encrypted (ABI section 4).
    #[serde(default)]
    encrypted: Vec<Vec<PathSegment>>,
    #[serde(default)]
    source: String,
    /// Only the keys present in `props` are known (live inventory).
    #[serde(default)]
    partial: bool,
}

fn managed() -> String {
    "managed".to_owned()
}

fn no_op() -> String {
    "no-op".to_owned()
}

#[derive(Debug, Clone, Default, Deserialize)]
struct StackInfo {
    #[serde(default)]
    source: String,
    #[serde(default)]
    format: String,
}

/// A batch: the resources of one input, as loaded by `palisade_load`.
#[derive(Debug, Clone, Deserialize)]
pub struct Batch {
    #[serde(default)]
    stack: StackInfo,
    resources: Vec<ResourceData>,
}

impl Batch {
    /// Parses a batch document (ABI section 4).
    pub fn from_json(json: &str) -> Result<Batch, String> {
        serde_json::from_str(json).map_err(|e| format!("invalid batch: {e}"))
    }

    /// Parses a batch document from bytes.
    pub fn from_slice(json: &[u8]) -> Result<Batch, String> {
        serde_json::from_slice(json).map_err(|e| format!("invalid batch: {e}"))
    }

    /// The input file the batch was read from.
    pub fn source(&self) -> &str {
        &self.stack.source
    }

    /// The input format (`tfplan`, `pulumi-preview`, ...).
    pub fn format(&self) -> &str {
        &self.stack.format
    }

    /// How many resources the batch holds.
    pub fn len(&self) -> usize {
        self.resources.len()
    }

    /// Whether the batch holds no resources.
    pub fn is_empty(&self) -> bool {
        self.resources.is_empty()
    }

    /// The resource at `index` (the host's target index).
    pub fn resource(&self, index: usize) -> Option<Resource<'_>> {
        self.resources.get(index).map(|data| Resource { data, index })
    }

    /// Every resource, in batch order.
    pub fn resources(&self) -> impl Iterator<Item = Resource<'_>> {
        self.resources.iter().enumerate().map(|(index, data)| Resource { data, index })
    }

    /// The whole batch as a [`Stack`].
    pub fn stack(&self) -> Stack<'_> {
        Stack { batch: self, indexes: (0..self.resources.len()).collect() }
    }

    /// The resources at `indexes` as a [`Stack`]; `Err` names an index out of range.
    pub fn stack_of(&self, indexes: &[usize]) -> Result<Stack<'_>, String> {
        if let Some(bad) = indexes.iter().find(|&&i| i >= self.resources.len()) {
            return Err(format!("target {bad} is out of range: the batch has {} resources", self.resources.len()));
        }
        Ok(Stack { batch: self, indexes: indexes.to_vec() })
    }
}

/// A read-only view of one resource of the batch.
#[derive(Debug, Clone, Copy)]
pub struct Resource<'a> {
    data: &'a ResourceData,
    index: usize,
}

impl<'a> Resource<'a> {
    /// Terraform address or Pulumi URN; unique in the stack.
    pub fn address(&self) -> &'a str {
        &self.data.address
    }

    /// `aws_s3_bucket` (Terraform) or `aws:s3/bucket:Bucket` (Pulumi).
    pub fn resource_type(&self) -> &'a str {
        &self.data.resource_type
    }

    /// The resource's own name.
    pub fn name(&self) -> &'a str {
        &self.data.name
    }

    /// Provider name or reference; may be empty.
    pub fn provider(&self) -> &'a str {
        &self.data.provider
    }

    /// The input file the resource was read from.
    pub fn source(&self) -> &'a str {
        &self.data.source
    }

    /// Index of the resource in the batch.
    pub fn index(&self) -> usize {
        self.index
    }

    /// What the change does.
    pub fn op(&self) -> Op {
        Op::parse(&self.data.op)
    }

    /// The operation's wire name (`"no-op"`, ...), also for [`Op::Other`].
    pub fn op_str(&self) -> &'a str {
        &self.data.op
    }

    /// What kind of object this is.
    pub fn kind(&self) -> Kind {
        Kind::parse(&self.data.kind)
    }

    /// The kind's wire name (`"managed"`, ...), as the batch gives it.
    pub fn kind_str(&self) -> &'a str {
        &self.data.kind
    }

    /// Whether the type is one of `types`.
    pub fn is_type(&self, types: &[&str]) -> bool {
        types.contains(&self.resource_type())
    }

    /// The values the resource will have (or has): the root of `props`.
    ///
    /// On a [partial](Self::is_partial) resource (live inventory), a
    /// top-level key that is not in `props` is unknown, not absent, so a
    /// policy reading it answers undecided.
    pub fn props(&self) -> Prop<'a> {
        let marks = Marks { secret: &self.data.secret, unset: &self.data.unset, encrypted: &self.data.encrypted };
        Prop::root_marked(Some(&self.data.props), marks).camel_case(self.is_pulumi()).open(self.data.partial)
    }

    /// Whether only the properties present are known (ABI section 4,
    /// "Partial resources"): a live resource from an inventory scan, which
    /// carries `arn`, `id`, `region`, `account`, `tags` and `tags_all`.
    pub fn is_partial(&self) -> bool {
        self.data.partial
    }

    /// The values before the change; absent when the input has none.
    pub fn before(&self) -> Prop<'a> {
        Prop::root(self.data.before.as_ref(), &self.data.secret).camel_case(self.is_pulumi())
    }

    /// Whether this is a Pulumi resource (its type is `pkg:module/name:Type`);
    /// then absent properties are named in camelCase in messages.
    pub fn is_pulumi(&self) -> bool {
        self.resource_type().contains(':')
    }

    /// `props().get(key)`: a top-level property, in either naming style.
    pub fn get(&self, key: &str) -> Prop<'a> {
        self.props().get(key)
    }

    /// `props().as_configured()`: the values as the configuration sets
    /// them, where a value the configuration leaves for the provider to
    /// fill in reads as absent ([`Prop::as_configured`]), so the policy
    /// applies the provider's default for it.
    pub fn configured(&self) -> Prop<'a> {
        self.props().as_configured()
    }

    /// `props().get_any(keys)`: the first of `keys` that is present.
    pub fn get_any(&self, keys: &[&str]) -> Prop<'a> {
        self.props().get_any(keys)
    }

    /// Whether the value at `path` is secret (a secret path of the resource is
    /// `path` or a prefix of it). `path` is written `a.b[0].c` (or `a.b.0.c`);
    /// keys match in either naming style.
    pub fn is_secret(&self, path: &str) -> bool {
        let wanted = parse_path(path);
        self.data.secret.iter().any(|secret| {
            secret.len() <= wanted.len() && secret.iter().zip(&wanted).all(|(s, w)| segment_matches(s, w))
        })
    }
}

/// A segment of a path written by a policy author.
enum Wanted {
    Key(String),
    Index(usize),
}

fn parse_path(path: &str) -> Vec<Wanted> {
    let mut out = Vec::new();
    for part in path.split('.') {
        let mut rest = part;
        let key_end = rest.find('[').unwrap_or(rest.len());
        let key = &rest[..key_end];
        if !key.is_empty() {
            out.push(match key.parse::<usize>() {
                Ok(i) => Wanted::Index(i),
                Err(_) => Wanted::Key(camel_to_snake(key)),
            });
        }
        rest = &rest[key_end..];
        while let Some(open) = rest.find('[') {
            let close = rest[open..].find(']').map_or(rest.len(), |c| open + c);
            let inner = &rest[open + 1..close];
            out.push(match inner.parse::<usize>() {
                Ok(i) => Wanted::Index(i),
                Err(_) => Wanted::Key(camel_to_snake(inner.trim_matches('"'))),
            });
            rest = rest.get(close + 1..).unwrap_or("");
        }
    }
    out
}

fn segment_matches(secret: &PathSegment, wanted: &Wanted) -> bool {
    match (secret, wanted) {
        (PathSegment::Index(a), Wanted::Index(b)) => a == b,
        (PathSegment::Key(a), Wanted::Key(b)) => camel_to_snake(a) == *b,
        (PathSegment::Key(a), Wanted::Index(b)) => a.parse::<usize>().ok() == Some(*b),
        (PathSegment::Index(_), Wanted::Key(_)) => false,
    }
}

/// Every resource a stack policy sees: all of the batch's targets, including
/// deleted resources, data sources, providers and components.
#[derive(Debug, Clone)]
pub struct Stack<'a> {
    batch: &'a Batch,
    indexes: Vec<usize>,
}

impl<'a> Stack<'a> {
    /// The input file the stack was read from.
    pub fn source(&self) -> &'a str {
        self.batch.source()
    }

    /// The input format (`tfplan`, `pulumi-preview`, ...).
    pub fn format(&self) -> &'a str {
        self.batch.format()
    }

    /// How many resources the stack holds.
    pub fn len(&self) -> usize {
        self.indexes.len()
    }

    /// Whether the stack holds no resources.
    pub fn is_empty(&self) -> bool {
        self.indexes.is_empty()
    }

    /// Every resource, whatever its op and kind.
    pub fn resources(&self) -> impl Iterator<Item = Resource<'a>> + '_ {
        let batch = self.batch;
        self.indexes.iter().filter_map(move |&i| batch.resource(i))
    }

    /// The resources of one of `types`.
    pub fn of_type<'s>(&'s self, types: &'s [&'s str]) -> impl Iterator<Item = Resource<'a>> + 's {
        self.resources().filter(move |r| r.is_type(types))
    }

    /// The resource with this address.
    pub fn get(&self, address: &str) -> Option<Resource<'a>> {
        self.resources().find(|r| r.address() == address)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BATCH: &str = r#"{
      "stack": {"source": "plan.json", "format": "tfplan"},
      "resources": [
        {"address": "aws_db_instance.db", "type": "aws_db_instance", "name": "db", "provider": "aws",
         "kind": "managed", "op": "update", "props": {"password": "s3cret", "tags": {"Owner": "me"}},
         "before": {"password": "old"}, "secret": [["password"], ["tags", "Owner"]], "source": "plan.json",
         "future_field": 1},
        {"address": "data.aws_ami.x", "type": "aws_ami", "name": "x", "kind": "data", "op": "read",
         "props": null, "source": "plan.json"},
        {"address": "aws_s3_bucket.old", "type": "aws_s3_bucket", "name": "old", "kind": "managed",
         "op": "delete", "props": null, "source": "plan.json"}
      ]
    }"#;

    #[test]
    fn batch_views() {
        let batch = Batch::from_json(BATCH).expect("valid batch");
        assert_eq!(batch.len(), 3);
        assert_eq!(batch.format(), "tfplan");
        let db = batch.resource(0).expect("resource 0");
        assert_eq!(db.address(), "aws_db_instance.db");
        assert_eq!(db.resource_type(), "aws_db_instance");
        assert_eq!(db.op(), Op::Update);
        assert_eq!(db.kind(), Kind::Managed);
        assert_eq!(db.before().get("password").str(), Ok(Some("old")));
        assert!(db.is_secret("password"));
        assert!(db.is_secret("tags.Owner"));
        assert!(db.is_secret("tags[\"Owner\"]"));
        assert!(!db.is_secret("tags"));
        assert!(db.get("password").is_secret());
        let ami = batch.resource(1).expect("resource 1");
        assert_eq!(ami.kind(), Kind::Data);
        assert!(ami.get("anything").is_absent());
        assert!(ami.before().is_absent());
        let stack = batch.stack();
        assert_eq!(stack.len(), 3);
        assert_eq!(stack.get("aws_s3_bucket.old").map(|r| r.op()), Some(Op::Delete));
        assert_eq!(stack.of_type(&["aws_ami"]).count(), 1);
        assert!(batch.stack_of(&[0, 3]).is_err());
    }

    #[test]
    fn invalid_batches_are_errors() {
        assert!(Batch::from_json("{}").is_err());
        assert!(Batch::from_json(r#"{"resources": [{"type": "x"}]}"#).is_err());
        assert!(Batch::from_json("not json").is_err());
    }
}

#[cfg(test)]
mod state_tests {
    use super::*;
    use crate::prop::{Cause, PropValue, UNKNOWN};

    /// A create with `acl` set by an unknown expression, `root_block_device`
    /// and `grant` left out of the configuration, one element of
    /// `cidr_blocks` unset, and a Pulumi-style encrypted `password`.
    fn batch() -> String {
        format!(
            r#"{{"stack": {{"source": "plan.json", "format": "tfplan"}},
              "resources": [
                {{"address": "aws_instance.a", "type": "aws_instance", "name": "a", "kind": "managed",
                  "op": "create", "source": "plan.json",
                  "props": {{"acl": "{u}", "grant": "{u}", "root_block_device": "{u}", "password": "{u}",
                            "cidr_blocks": ["10.0.0.0/8", "{u}"], "ingress": [{{"from_port": "{u}"}}]}},
                  "unset": [["grant"], ["root_block_device"], ["cidr_blocks", 1], ["ingress", 0, "from_port"]],
                  "encrypted": [["password"]], "secret": [["password"]]}}
              ]}}"#,
            u = UNKNOWN
        )
    }

    #[test]
    fn the_four_states_are_told_apart() {
        let batch = Batch::from_json(&batch()).expect("valid batch");
        let r = batch.resource(0).expect("resource 0");
        assert_eq!(r.get("acl").value(), PropValue::Unknown);
        assert_eq!(r.get("grant").value(), PropValue::Unset);
        assert_eq!(r.get("password").value(), PropValue::Encrypted);
        assert_eq!(r.get("nothing").value(), PropValue::Absent);
        assert!(r.get("grant").is_unset() && r.get("grant").is_unknown());
        assert!(r.get("password").is_encrypted() && r.get("password").is_unknown());
        // Beneath an unset block, everything is unset.
        assert_eq!(r.get("root_block_device").first().get("encrypted").value(), PropValue::Unset);
        assert_eq!(r.get("ingress").first().get("from_port").value(), PropValue::Unset);
    }

    #[test]
    fn readers_answer_undecided_with_the_reason() {
        let batch = Batch::from_json(&batch()).expect("valid batch");
        let r = batch.resource(0).expect("resource 0");
        let unset = r.get("root_block_device").first().get("encrypted").bool().expect_err("unset");
        assert_eq!(unset.cause(), Cause::Unset);
        assert!(unset.to_string().contains("not set in the configuration"), "{unset}");
        let encrypted = r.get("password").str().expect_err("encrypted");
        assert_eq!(encrypted.cause(), Cause::Encrypted);
        assert!(encrypted.to_string().contains("encrypted in this export"), "{encrypted}");
        let unknown = r.get("acl").str().expect_err("unknown");
        assert_eq!(unknown.cause(), Cause::AfterApply);
        assert_eq!(unknown.to_string(), "acl is known only after apply");
        assert_eq!(r.get("cidr_blocks").strings().expect_err("element unset").cause(), Cause::Unset);
        assert_eq!(r.get("grant").display().to_string(), "not set in the configuration");
        assert_eq!(r.get("password").display().to_string(), "[encrypted]");
    }

    #[test]
    fn as_configured_reads_unset_as_absent_and_nothing_else() {
        let batch = Batch::from_json(&batch()).expect("valid batch");
        let r = batch.resource(0).expect("resource 0");
        let c = r.configured();
        assert!(c.get("grant").is_absent());
        assert_eq!(c.get("root_block_device").first().get("encrypted").bool_or(false), Ok(false));
        assert_eq!(c.get("cidr_blocks").strings(), Ok(vec!["10.0.0.0/8"]));
        assert_eq!(c.get("acl").value(), PropValue::Unknown);
        assert_eq!(c.get("password").value(), PropValue::Encrypted);
        assert!(r.get("grant").as_configured().is_absent());
        assert!(r.get("grant").is_unset(), "as_configured does not change the original");
    }
}
