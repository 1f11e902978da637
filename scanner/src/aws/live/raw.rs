//! The readers' raw output: SDK response types as JSON, under the API's
//! documented member names (`GroupId`, `IpPermissions`), so that a snapshot
//! keeps what the cloud said and a mapping ([`super::table`]) can be fixed
//! without a rescan.
//!
//! The SDK's types are not serde types; [`Raw`] turns them into JSON, and
//! [`raw_struct!`](crate::raw_struct) / [`raw_enum!`](crate::raw_enum)
//! declare, per SDK type, the members kept (those the mappings and drift
//! read, never a secret value). Absent members and `None` are left out;
//! empty lists are kept (`[]`: the API said there are none).

use serde_json::{Map, Value};

/// A value that has a raw JSON form.
pub trait Raw {
    /// The JSON form; `Value::Null` for "absent" (left out of objects).
    fn raw(&self) -> Value;
}

impl Raw for str {
    fn raw(&self) -> Value {
        Value::String(self.to_string())
    }
}

impl Raw for String {
    fn raw(&self) -> Value {
        Value::String(self.clone())
    }
}

impl Raw for bool {
    fn raw(&self) -> Value {
        Value::Bool(*self)
    }
}

impl Raw for i32 {
    fn raw(&self) -> Value {
        Value::from(*self)
    }
}

impl Raw for i64 {
    fn raw(&self) -> Value {
        Value::from(*self)
    }
}

impl Raw for f64 {
    fn raw(&self) -> Value {
        Value::from(*self)
    }
}

impl Raw for aws_smithy_types::DateTime {
    fn raw(&self) -> Value {
        self.fmt(aws_smithy_types::date_time::Format::DateTime).map(Value::String).unwrap_or(Value::Null)
    }
}

impl<T: Raw + ?Sized> Raw for &T {
    fn raw(&self) -> Value {
        (**self).raw()
    }
}

impl<T: Raw> Raw for Option<T> {
    fn raw(&self) -> Value {
        self.as_ref().map_or(Value::Null, Raw::raw)
    }
}

impl<T: Raw> Raw for [T] {
    fn raw(&self) -> Value {
        Value::Array(self.iter().map(Raw::raw).collect())
    }
}

impl<T: Raw> Raw for Vec<T> {
    fn raw(&self) -> Value {
        self.as_slice().raw()
    }
}

impl<V: Raw> Raw for std::collections::HashMap<String, V> {
    fn raw(&self) -> Value {
        let mut pairs: Vec<(&String, &V)> = self.iter().collect();
        pairs.sort_by(|a, b| a.0.cmp(b.0));
        Value::Object(pairs.into_iter().map(|(k, v)| (k.clone(), v.raw())).collect())
    }
}

/// An object of `(member, value)` pairs, absent (`null`) values left out.
pub fn object(members: impl IntoIterator<Item = (&'static str, Value)>) -> Value {
    Value::Object(
        members.into_iter().filter(|(_, v)| !v.is_null()).map(|(k, v)| (k.to_string(), v)).collect::<Map<_, _>>(),
    )
}

/// Declares the raw form of an SDK struct: `raw_struct!(Type { "Member" =>
/// accessor, ... })`, each accessor a method of the SDK type
/// (`IpPermission { "IpProtocol" => ip_protocol, "IpRanges" => ip_ranges }`).
#[macro_export]
macro_rules! raw_struct {
    ($($ty:ty { $($name:literal => $accessor:ident),* $(,)? })*) => {
        $(impl $crate::aws::live::raw::Raw for $ty {
            fn raw(&self) -> serde_json::Value {
                $crate::aws::live::raw::object([$(($name, $crate::aws::live::raw::Raw::raw(&self.$accessor()))),*])
            }
        })*
    };
}

/// Declares the raw form of SDK enums: their API string (`as_str`).
#[macro_export]
macro_rules! raw_enum {
    ($($ty:ty),* $(,)?) => {
        $(impl $crate::aws::live::raw::Raw for $ty {
            fn raw(&self) -> serde_json::Value {
                serde_json::Value::String(self.as_str().to_string())
            }
        })*
    };
}
