//! Terraform state files, `version: 4` (Terraform 0.12 and later, OpenTofu).
//!
//! One resource per `resources[].instances[]`, op `no-op`. The address is
//! rebuilt as Terraform prints it: `module` prefix, `data.` for data sources,
//! `type.name`, then the instance key (`[0]`, `["key"]` quoted as HCL).
//! `terraform show -json` of a state (`format_version` + `values`) is read by
//! [`crate::tfstate_show`].

use serde_json::{Map, Value};

use crate::error::{InputError, InputErrorKind};
use crate::json::{Ctx, Node};
use crate::{masks, tfstate_show};
use palisade_model::model::{Operation, Path, PathSegment, Resource, ResourceKind};

/// Reads a state document. Errors: `UnsupportedVersion` for a `version`
/// other than 4, `Shape` for entries of the wrong structure.
pub(crate) fn parse(ctx: Ctx<'_>, doc: &Value) -> Result<Vec<Resource>, InputError> {
    let root = Node::root(doc, ctx);
    let obj = root.object()?;
    if obj.contains_key("format_version") && obj.contains_key("values") {
        return tfstate_show::parse(&root);
    }
    let version = root.req("version")?;
    if version.value.as_u64() != Some(4) {
        return Err(ctx.error(InputErrorKind::UnsupportedVersion {
            field: version.path.clone(),
            seen: format!("state version {}", version.value),
            accepted: "state version 4 (Terraform 0.12 or later); upgrade the state by running \
                       a current Terraform against it"
                .into(),
        }));
    }
    let mut out = Vec::new();
    for res in root.opt_items("resources")? {
        for inst in res.opt_items("instances")? {
            out.push(instance(&res, &inst)?);
        }
    }
    Ok(out)
}

fn instance(res: &Node<'_>, inst: &Node<'_>) -> Result<Resource, InputError> {
    let kind = match res.req_str("mode")? {
        "managed" => ResourceKind::Managed,
        "data" => ResourceKind::Data,
        _ => return Err(res.req("mode")?.shape_error("\"managed\" or \"data\"")),
    };
    let rtype = res.req_str("type")?;
    let name = res.req_str("name")?;
    let mut address = String::new();
    if let Some(module) = res.opt_str("module")? {
        address.push_str(module);
        address.push('.');
    }
    if kind == ResourceKind::Data {
        address.push_str("data.");
    }
    address.push_str(&format!("{rtype}.{name}"));
    if let Some(key) = inst.get("index_key")? {
        address.push_str(&index_key(&key)?);
    }
    if let Some(deposed) = inst.opt_str("deposed")? {
        address.push_str(&format!(" (deposed {deposed})"));
    }
    let props = match (inst.get("attributes")?, inst.get("attributes_flat")?) {
        (Some(a), _) | (None, Some(a)) => a.value.clone(),
        (None, None) => Value::Object(Map::new()),
    };
    Ok(Resource {
        address,
        resource_type: rtype.to_string(),
        name: name.to_string(),
        provider: res.opt_str("provider")?.unwrap_or_default().to_string(),
        kind,
        op: Operation::NoOp,
        props,
        before: None,
        secret: sensitive_paths(inst.get("sensitive_attributes")?.map(|n| n.value)),
        unset: Vec::new(),
        encrypted: Vec::new(),
        source: res.ctx.source.to_string(),
        partial: false,
    })
}

/// `[0]` for a number, `["key"]` (HCL-quoted, as Terraform prints) for a string.
fn index_key(key: &Node<'_>) -> Result<String, InputError> {
    match key.value {
        Value::Number(n) if n.is_i64() || n.is_u64() => Ok(format!("[{n}]")),
        Value::String(s) => Ok(format!("[{}]", hcl_quote(s))),
        _ => Err(key.shape_error("an integer or a string")),
    }
}

/// Quotes `s` as Terraform's `toHCLQuotedString` does for instance keys:
/// backslash escapes for `\n \r \t " \`, `${`/`%{` doubled to `$${`/`%%{`,
/// `\uXXXX` (`\UXXXXXXXX`) for characters that are not printable.
pub(crate) fn hcl_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '$' | '%' => {
                out.push(c);
                if chars.peek() == Some(&'{') {
                    out.push(c);
                }
            }
            c if !is_printable(c) => {
                let code = u32::from(c);
                if code < 0x10000 {
                    out.push_str(&format!("\\u{code:04x}"));
                } else {
                    out.push_str(&format!("\\U{code:08x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// An approximation of Go's `unicode.IsPrint`: no controls, no spaces other
/// than ASCII space, no common format characters.
fn is_printable(c: char) -> bool {
    let format_char = matches!(c, '\u{ad}' | '\u{200b}'..='\u{200f}' | '\u{2028}'..='\u{202e}'
        | '\u{2060}'..='\u{2064}' | '\u{feff}');
    !(c.is_control() || (c.is_whitespace() && c != ' ') || format_char)
}

/// Paths from `sensitive_attributes`: a list of paths, each a list of steps
/// `{"type":"get_attr","value":"name"}` or `{"type":"index","value":{"value":0,
/// "type":"number"}}`. A mask object (`{"password": true}`) is read as well.
/// A step not recognised ends its path there (the prefix is marked secret);
/// a path with no recognised step is ignored.
fn sensitive_paths(value: Option<&Value>) -> Vec<Path> {
    let mut out = Vec::new();
    match value {
        Some(Value::Array(paths)) => {
            for p in paths {
                let path = sensitive_path(p);
                if !path.is_empty() {
                    masks::push_unique(&mut out, path);
                }
            }
        }
        Some(mask @ Value::Object(_)) => masks::true_paths(mask, &mut out),
        _ => {}
    }
    out
}

fn sensitive_path(p: &Value) -> Path {
    let steps: Vec<&Value> = match p {
        Value::Array(steps) => steps.iter().collect(),
        other => vec![other],
    };
    steps.into_iter().map_while(step).collect()
}

fn step(s: &Value) -> Option<PathSegment> {
    let value = match s {
        Value::Object(m) => m.get("value")?,
        other => other,
    };
    let value = match value {
        Value::Object(m) => m.get("value")?,
        other => other,
    };
    match value {
        Value::String(k) => Some(PathSegment::Key(k.clone())),
        Value::Number(n) => n.as_u64().and_then(|i| usize::try_from(i).ok()).map(PathSegment::Index),
        _ => None,
    }
}
