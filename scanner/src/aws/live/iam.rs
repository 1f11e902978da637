//! IAM users (`aws_iam_user`), roles (`aws_iam_role`) and the account
//! password policy (`aws_iam_account_password_policy`), read once per
//! account in its global scope.
//!
//! API: <https://docs.aws.amazon.com/IAM/latest/APIReference/>.
//!
//! - **Users and roles.** `GetAccountAuthorizationDetails` lists them, one
//!   paginated call per type (`Filter=User`, `Filter=Role`: each type's
//!   listing, statistics and `--resource-type` are its own), each with its
//!   path, id, ARN, inline policies (`UserPolicyList`, `RolePolicyList`),
//!   attached managed policies, permissions boundary and tags (`own_tags`).
//!   A role's `Description` and `MaxSessionDuration` are not in that output:
//!   `ListRoles` (paginated, one listing for all roles) reads them, as a
//!   detail call. A role it does not list was deleted since (dropped); when
//!   it fails, the roles it did not reach have those attributes unread.
//!   Ids: the user and role names (`crate::arn` drops the ARN's path).
//! - **Policy documents.** IAM returns them URL-encoded (RFC 3986); they are
//!   decoded into the raw output, where a document that is already JSON
//!   (starts with `{`) is kept as it is, and parsed by the table.
//! - **Derived members.** The table language has no rule to pluck one
//!   member of each object of a list, so each user's and role's raw output
//!   gets `Derived.ManagedPolicyArns` (the `PolicyArn`s of
//!   `AttachedManagedPolicies`, Terraform's `managed_policy_arns`).
//! - **Password policy.** An account-level setting without an ARN:
//!   Palisade addresses it as `arn:PARTITION:iam::ACCOUNT:account-password-policy`
//!   with Terraform's id `iam-account-password-policy`.
//!   `GetAccountPasswordPolicy` finds it (`NoSuchEntity`: the account has
//!   none, so no resource); as it is the only call that can tell whether
//!   the resource exists, its failure makes the scope incomplete.
//!
//! moto 5.2: every call answers with these members. It ignores `MaxItems`
//! on `GetAccountAuthorizationDetails` (one page, `IsTruncated` false); it
//! URL-encodes inline policy documents but not `AssumeRolePolicyDocument`;
//! it leaves `Tags` out of an untagged user (an empty list for a role).
//! `ListRoles` pages (100 per page).

use std::collections::{BTreeMap, HashMap};

use aws_sdk_iam as iam;
use serde_json::Value;

use super::raw::{Raw, object};
use super::table::{Lit, Rule};
use super::{Call, CallKind, Ctx, Failure, Found, Outcome, Service, TypeReader};
use crate::aws::regions::partition_of;

const GET_ACCOUNT_AUTHORIZATION_DETAILS: Call = Call::list("iam", "GetAccountAuthorizationDetails");
const LIST_ROLES: Call = Call::detail("iam", "ListRoles", &[], &[]);
const GET_ACCOUNT_PASSWORD_POLICY: Call = Call {
    service: "iam",
    action: "GetAccountPasswordPolicy",
    kind: CallKind::List,
    absent: &["NoSuchEntity"],
    gone: &[],
};

/// The Terraform id of the account password policy.
const PASSWORD_POLICY_ID: &str = "iam-account-password-policy";

/// `aws_iam_user`.
pub static USER: TypeReader = TypeReader {
    terraform_type: "aws_iam_user",
    tagging_type: "iam:user",
    calls: &[&GET_ACCOUNT_AUTHORIZATION_DETAILS],
    rules: &[
        Rule::Copy("GetAccountAuthorizationDetails.UserName", "name"),
        Rule::Copy("GetAccountAuthorizationDetails.Path", "path"),
        Rule::Copy("GetAccountAuthorizationDetails.UserId", "unique_id"),
        Rule::Copy("GetAccountAuthorizationDetails.Arn", "arn"),
        Rule::Copy("GetAccountAuthorizationDetails.PermissionsBoundary.PermissionsBoundaryArn", "permissions_boundary"),
        Rule::Each {
            from: "GetAccountAuthorizationDetails.UserPolicyList",
            to: "inline_policies",
            rules: &[Rule::Copy("PolicyName", "name"), Rule::Json("PolicyDocument", "policy")],
        },
        Rule::Or("GetAccountAuthorizationDetails.Derived.ManagedPolicyArns", "managed_policy_arns", Lit::EmptyList),
    ],
    own_tags: true,
};

/// `aws_iam_role`.
pub static ROLE: TypeReader = TypeReader {
    terraform_type: "aws_iam_role",
    tagging_type: "iam:role",
    calls: &[&GET_ACCOUNT_AUTHORIZATION_DETAILS, &LIST_ROLES],
    rules: &[
        Rule::Copy("GetAccountAuthorizationDetails.RoleName", "name"),
        Rule::Copy("GetAccountAuthorizationDetails.Path", "path"),
        Rule::Copy("GetAccountAuthorizationDetails.RoleId", "unique_id"),
        Rule::Copy("GetAccountAuthorizationDetails.Arn", "arn"),
        Rule::Copy("GetAccountAuthorizationDetails.CreateDate", "create_date"),
        Rule::Json("GetAccountAuthorizationDetails.AssumeRolePolicyDocument", "assume_role_policy"),
        Rule::Copy("GetAccountAuthorizationDetails.PermissionsBoundary.PermissionsBoundaryArn", "permissions_boundary"),
        Rule::Each {
            from: "GetAccountAuthorizationDetails.RolePolicyList",
            to: "inline_policy",
            rules: &[Rule::Copy("PolicyName", "name"), Rule::Json("PolicyDocument", "policy")],
        },
        Rule::Or("GetAccountAuthorizationDetails.Derived.ManagedPolicyArns", "managed_policy_arns", Lit::EmptyList),
        Rule::Or("ListRoles.Description", "description", Lit::Str("")),
        Rule::Copy("ListRoles.MaxSessionDuration", "max_session_duration"),
    ],
    own_tags: true,
};

/// `aws_iam_account_password_policy`.
pub static PASSWORD_POLICY: TypeReader = TypeReader {
    terraform_type: "aws_iam_account_password_policy",
    tagging_type: "iam:account-password-policy",
    calls: &[&GET_ACCOUNT_PASSWORD_POLICY],
    rules: &[
        Rule::Copy("GetAccountPasswordPolicy.PasswordPolicy.MinimumPasswordLength", "minimum_password_length"),
        Rule::Copy(
            "GetAccountPasswordPolicy.PasswordPolicy.RequireLowercaseCharacters",
            "require_lowercase_characters",
        ),
        Rule::Copy("GetAccountPasswordPolicy.PasswordPolicy.RequireNumbers", "require_numbers"),
        Rule::Copy("GetAccountPasswordPolicy.PasswordPolicy.RequireSymbols", "require_symbols"),
        Rule::Copy(
            "GetAccountPasswordPolicy.PasswordPolicy.RequireUppercaseCharacters",
            "require_uppercase_characters",
        ),
        Rule::Copy(
            "GetAccountPasswordPolicy.PasswordPolicy.AllowUsersToChangePassword",
            "allow_users_to_change_password",
        ),
        Rule::Or("GetAccountPasswordPolicy.PasswordPolicy.MaxPasswordAge", "max_password_age", Lit::Int(0)),
        Rule::Or(
            "GetAccountPasswordPolicy.PasswordPolicy.PasswordReusePrevention",
            "password_reuse_prevention",
            Lit::Int(0),
        ),
        Rule::Or("GetAccountPasswordPolicy.PasswordPolicy.HardExpiry", "hard_expiry", Lit::Bool(false)),
        Rule::Copy("GetAccountPasswordPolicy.PasswordPolicy.ExpirePasswords", "expire_passwords"),
    ],
    own_tags: true,
};

/// The IAM reader.
pub static SERVICE: Service =
    Service { name: "iam", global: true, types: &[&USER, &ROLE, &PASSWORD_POLICY], read: |ctx| Box::pin(read(ctx)) };

crate::raw_struct! {
    iam::types::UserDetail {
        "Path" => path, "UserName" => user_name, "UserId" => user_id, "Arn" => arn,
        "CreateDate" => create_date, "UserPolicyList" => user_policy_list,
        "AttachedManagedPolicies" => attached_managed_policies, "PermissionsBoundary" => permissions_boundary,
        "Tags" => tags,
    }
    iam::types::RoleDetail {
        "Path" => path, "RoleName" => role_name, "RoleId" => role_id, "Arn" => arn, "CreateDate" => create_date,
        "AssumeRolePolicyDocument" => decoded_document, "RolePolicyList" => role_policy_list,
        "AttachedManagedPolicies" => attached_managed_policies, "PermissionsBoundary" => permissions_boundary,
        "Tags" => tags,
    }
    iam::types::PolicyDetail { "PolicyName" => policy_name, "PolicyDocument" => decoded_document }
    iam::types::AttachedPolicy { "PolicyName" => policy_name, "PolicyArn" => policy_arn }
    iam::types::AttachedPermissionsBoundary {
        "PermissionsBoundaryType" => permissions_boundary_type, "PermissionsBoundaryArn" => permissions_boundary_arn,
    }
    iam::types::Tag { "Key" => key, "Value" => value }
    iam::types::Role {
        "RoleName" => role_name, "RoleId" => role_id, "Description" => description,
        "MaxSessionDuration" => max_session_duration,
    }
    iam::operation::get_account_password_policy::GetAccountPasswordPolicyOutput { "PasswordPolicy" => password_policy }
    iam::types::PasswordPolicy {
        "MinimumPasswordLength" => minimum_password_length, "RequireSymbols" => require_symbols,
        "RequireNumbers" => require_numbers, "RequireUppercaseCharacters" => require_uppercase_characters,
        "RequireLowercaseCharacters" => require_lowercase_characters,
        "AllowUsersToChangePassword" => allow_users_to_change_password, "ExpirePasswords" => expire_passwords,
        "MaxPasswordAge" => max_password_age, "PasswordReusePrevention" => password_reuse_prevention,
        "HardExpiry" => hard_expiry,
    }
}
crate::raw_enum!(iam::types::PermissionsBoundaryAttachmentType);

/// The policy document of an output, URL-decoded (see [`policy_text`]).
trait DecodedDocument {
    fn decoded_document(&self) -> Option<String>;
}

impl DecodedDocument for iam::types::PolicyDetail {
    fn decoded_document(&self) -> Option<String> {
        self.policy_document().map(policy_text)
    }
}

impl DecodedDocument for iam::types::RoleDetail {
    fn decoded_document(&self) -> Option<String> {
        self.assume_role_policy_document().map(policy_text)
    }
}

async fn read(ctx: &Ctx) {
    if !ctx.is_global() {
        return;
    }
    let client = iam::Client::new(&ctx.config);
    tokio::join!(read_users(ctx, &client), read_roles(ctx, &client), read_password_policy(ctx, &client));
}

async fn read_users(ctx: &Ctx, client: &iam::Client) {
    if !ctx.wants(&USER) {
        return;
    }
    let request = client.get_account_authorization_details().filter(iam::types::EntityType::User);
    let mut pages = request.into_paginator().send();
    while let Some(page) = ctx.page(&USER, &GET_ACCOUNT_AUTHORIZATION_DETAILS, &mut pages).await {
        let page = match page {
            Outcome::Ok(page) => page,
            Outcome::Failed(f) => return ctx.list_failed(f),
            Outcome::Absent | Outcome::Gone => return,
        };
        for user in page.user_detail_list() {
            let (Some(name), Some(arn)) = (user.user_name(), user.arn()) else { continue };
            let item = with_managed_policy_arns(user.raw(), user.attached_managed_policies());
            let mut found = Found::new(&USER, arn.to_string(), &GET_ACCOUNT_AUTHORIZATION_DETAILS, item);
            found.id = Some(name.to_string());
            found.tags = Some(tag_map(user.tags()));
            if !ctx.details(&USER) {
                found.skip(USER.calls);
            }
            ctx.found(found);
        }
    }
}

async fn read_roles(ctx: &Ctx, client: &iam::Client) {
    if !ctx.wants(&ROLE) {
        return;
    }
    // (RoleId, found): a role deleted and made again under its name is another role.
    let mut roles: Vec<(String, Found)> = Vec::new();
    let request = client.get_account_authorization_details().filter(iam::types::EntityType::Role);
    let mut pages = request.into_paginator().send();
    while let Some(page) = ctx.page(&ROLE, &GET_ACCOUNT_AUTHORIZATION_DETAILS, &mut pages).await {
        let page = match page {
            Outcome::Ok(page) => page,
            Outcome::Failed(f) => {
                ctx.list_failed(f);
                break;
            }
            Outcome::Absent | Outcome::Gone => break,
        };
        for role in page.role_detail_list() {
            let (Some(name), Some(arn), Some(id)) = (role.role_name(), role.arn(), role.role_id()) else { continue };
            let item = with_managed_policy_arns(role.raw(), role.attached_managed_policies());
            let mut found = Found::new(&ROLE, arn.to_string(), &GET_ACCOUNT_AUTHORIZATION_DETAILS, item);
            found.id = Some(name.to_string());
            found.tags = Some(tag_map(role.tags()));
            roles.push((id.to_string(), found));
        }
    }
    if !ctx.details(&ROLE) {
        for (_, mut found) in roles {
            found.skip(ROLE.calls);
            ctx.found(found);
        }
        return;
    }
    if roles.is_empty() {
        return;
    }
    let (mut listed, failure) = list_roles(ctx, client).await;
    for (id, mut found) in roles {
        let outcome = match (listed.remove(&id), &failure) {
            (Some(item), _) => Outcome::Ok(item),
            (None, Some(f)) => Outcome::Failed(f.clone()),
            (None, None) => Outcome::Gone,
        };
        if found.record(&LIST_ROLES, outcome) {
            ctx.found(found);
        }
    }
}

/// Every role `ListRoles` lists, by `RoleId`, and its failure, if any.
async fn list_roles(ctx: &Ctx, client: &iam::Client) -> (HashMap<String, Value>, Option<Failure>) {
    let mut listed = HashMap::new();
    let mut pages = client.list_roles().into_paginator().send();
    while let Some(page) = ctx.page(&ROLE, &LIST_ROLES, &mut pages).await {
        match page {
            Outcome::Ok(page) => listed.extend(page.roles().iter().map(|r| (r.role_id().to_string(), r.raw()))),
            Outcome::Failed(f) => return (listed, Some(f)),
            Outcome::Absent | Outcome::Gone => break,
        }
    }
    (listed, None)
}

async fn read_password_policy(ctx: &Ctx, client: &iam::Client) {
    if !ctx.wants(&PASSWORD_POLICY) {
        return;
    }
    let policy = ctx.call(&PASSWORD_POLICY, &GET_ACCOUNT_PASSWORD_POLICY, client.get_account_password_policy().send());
    match policy.await {
        Outcome::Ok(out) => {
            let home = ctx.config.region().map_or("us-east-1", |r| r.as_ref());
            let arn = format!("arn:{}:iam::{}:account-password-policy", partition_of(home), ctx.account);
            let mut found = Found::new(&PASSWORD_POLICY, arn, &GET_ACCOUNT_PASSWORD_POLICY, out.raw());
            found.id = Some(PASSWORD_POLICY_ID.to_string());
            found.tags = Some(BTreeMap::new());
            ctx.found(found);
        }
        Outcome::Absent | Outcome::Gone => {}
        Outcome::Failed(f) => ctx.list_failed(f),
    }
}

/// `item` (a user's or role's raw output) with `Derived.ManagedPolicyArns`.
fn with_managed_policy_arns(mut item: Value, attached: &[iam::types::AttachedPolicy]) -> Value {
    let arns: Vec<Value> = attached.iter().filter_map(|p| p.policy_arn()).map(Value::from).collect();
    if let Value::Object(members) = &mut item {
        members.insert("Derived".into(), object([("ManagedPolicyArns", Value::Array(arns))]));
    }
    item
}

fn tag_map(tags: &[iam::types::Tag]) -> BTreeMap<String, String> {
    tags.iter().map(|t| (t.key().to_string(), t.value().to_string())).collect()
}

/// A policy document as JSON text: IAM returns documents URL-encoded (RFC
/// 3986); one that is already JSON (starts with `{`) is kept as it is, and
/// so is one that does not decode.
fn policy_text(document: &str) -> String {
    if document.trim_start().starts_with('{') {
        return document.to_string();
    }
    percent_decode(document).unwrap_or_else(|| document.to_string())
}

/// `%XX` escapes decoded (`+` is kept: RFC 3986, not form encoding);
/// `None` for a malformed escape or bytes that are not UTF-8.
fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = |b: Option<&u8>| b.and_then(|b| (*b as char).to_digit(16));
            let (high, low) = (hex(bytes.get(i + 1))?, hex(bytes.get(i + 2))?);
            out.push(u8::try_from(high * 16 + low).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    use super::super::table::apply;

    #[test]
    fn a_user_with_a_path_an_inline_and_an_attached_policy() {
        // `admin-user` as moto 5.2.5 answered (its inline document decoded).
        let raw = json!({"GetAccountAuthorizationDetails": {
            "Arn": "arn:aws:iam::123456789012:user/ops/team/admin-user",
            "AttachedManagedPolicies": [{"PolicyArn": "arn:aws:iam::123456789012:policy/ro", "PolicyName": "ro"}],
            "CreateDate": "2026-12-07T16:53:07.956626Z",
            "Derived": {"ManagedPolicyArns": ["arn:aws:iam::123456789012:policy/ro"]},
            "Path": "/ops/team/", "Tags": [{"Key": "owner", "Value": "platform"}],
            "UserId": "vckz94f3euzah4bm7c30", "UserName": "admin-user",
            "UserPolicyList": [{"PolicyName": "star",
                "PolicyDocument": "{\"Version\": \"2012-10-17\", \"Statement\": [{\"Effect\": \"Allow\", \"Action\": \"*\", \"Resource\": \"*\"}]}"}]
        }});
        assert_eq!(
            Value::Object(apply(USER.rules, &raw)),
            json!({
                "name": "admin-user", "path": "/ops/team/", "unique_id": "vckz94f3euzah4bm7c30",
                "arn": "arn:aws:iam::123456789012:user/ops/team/admin-user",
                "inline_policies": [{"name": "star", "policy": {"Version": "2012-10-17",
                    "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}}],
                "managed_policy_arns": ["arn:aws:iam::123456789012:policy/ro"]
            })
        );
        let plain = json!({"GetAccountAuthorizationDetails": {"Arn": "arn:aws:iam::123456789012:user/plain-user",
            "AttachedManagedPolicies": [], "Derived": {"ManagedPolicyArns": []}, "Path": "/", "Tags": [],
            "UserId": "n6bjddl5la2qbwrmo39r", "UserName": "plain-user", "UserPolicyList": []}});
        let plain = apply(USER.rules, &plain);
        assert_eq!((&plain["inline_policies"], &plain["managed_policy_arns"]), (&json!([]), &json!([])));
    }

    #[test]
    fn a_role_takes_its_description_and_session_duration_from_list_roles() {
        // `rich-role` as moto 5.2.5 answered.
        let raw = json!({
            "GetAccountAuthorizationDetails": {
                "Arn": "arn:aws:iam::123456789012:role/svc/rich-role",
                "AssumeRolePolicyDocument": "{\"Version\": \"2012-10-17\", \"Statement\": [{\"Effect\": \"Allow\", \"Principal\": {\"Service\": \"ec2.amazonaws.com\"}, \"Action\": \"sts:AssumeRole\"}]}",
                "AttachedManagedPolicies": [{"PolicyArn": "arn:aws:iam::123456789012:policy/ro", "PolicyName": "ro"}],
                "CreateDate": "2026-12-07T16:53:07.983432Z",
                "Derived": {"ManagedPolicyArns": ["arn:aws:iam::123456789012:policy/ro"]},
                "Path": "/svc/",
                "PermissionsBoundary": {"PermissionsBoundaryArn": "arn:aws:iam::123456789012:policy/ro",
                                        "PermissionsBoundaryType": "PermissionsBoundaryPolicy"},
                "RoleId": "AROARZPUZDIKINV25F6P2", "RoleName": "rich-role",
                "RolePolicyList": [{"PolicyName": "inline1",
                    "PolicyDocument": "{\"Version\": \"2012-10-17\", \"Statement\": [{\"Effect\": \"Allow\", \"Action\": \"s3:*\", \"Resource\": \"arn:aws:s3:::a b/%41+c\"}]}"}],
                "Tags": [{"Key": "team", "Value": "x"}]
            },
            "ListRoles": {"Description": "a role with 100% of things", "MaxSessionDuration": 7200,
                          "RoleId": "AROARZPUZDIKINV25F6P2", "RoleName": "rich-role"}
        });
        assert_eq!(
            Value::Object(apply(ROLE.rules, &raw)),
            json!({
                "name": "rich-role", "path": "/svc/", "unique_id": "AROARZPUZDIKINV25F6P2",
                "arn": "arn:aws:iam::123456789012:role/svc/rich-role",
                "create_date": "2026-12-07T16:53:07.983432Z",
                "assume_role_policy": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
                    "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]},
                "permissions_boundary": "arn:aws:iam::123456789012:policy/ro",
                "inline_policy": [{"name": "inline1", "policy": {"Version": "2012-10-17", "Statement": [
                    {"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::a b/%41+c"}]}}],
                "managed_policy_arns": ["arn:aws:iam::123456789012:policy/ro"],
                "description": "a role with 100% of things",
                "max_session_duration": 7200
            })
        );
        let of = |call| super::super::table::attributes_of_call(ROLE.rules, call);
        assert_eq!(of("ListRoles"), ["description", "max_session_duration"]);
        let plain = json!({"GetAccountAuthorizationDetails": {"RoleName": "plain-role", "RolePolicyList": [],
            "Derived": {"ManagedPolicyArns": []}}, "ListRoles": {"MaxSessionDuration": 3600, "RoleName": "plain-role"}});
        let plain = apply(ROLE.rules, &plain);
        assert_eq!(plain["description"], json!(""));
        assert_eq!(plain["inline_policy"], json!([]));
        assert!(plain.get("permissions_boundary").is_none());
    }

    #[test]
    fn the_password_policy_maps_every_setting() {
        let raw = json!({"GetAccountPasswordPolicy": {"PasswordPolicy": {
            "AllowUsersToChangePassword": true, "ExpirePasswords": true, "HardExpiry": false, "MaxPasswordAge": 90,
            "MinimumPasswordLength": 14, "PasswordReusePrevention": 24, "RequireLowercaseCharacters": false,
            "RequireNumbers": true, "RequireSymbols": true, "RequireUppercaseCharacters": true}}});
        assert_eq!(
            Value::Object(apply(PASSWORD_POLICY.rules, &raw)),
            json!({
                "minimum_password_length": 14, "require_lowercase_characters": false, "require_numbers": true,
                "require_symbols": true, "require_uppercase_characters": true, "allow_users_to_change_password": true,
                "max_password_age": 90, "password_reuse_prevention": 24, "hard_expiry": false, "expire_passwords": true
            })
        );
        let minimal = json!({"GetAccountPasswordPolicy": {"PasswordPolicy": {"MinimumPasswordLength": 8,
            "RequireSymbols": false, "RequireNumbers": false, "RequireUppercaseCharacters": false,
            "RequireLowercaseCharacters": false, "AllowUsersToChangePassword": false, "ExpirePasswords": false}}});
        let minimal = apply(PASSWORD_POLICY.rules, &minimal);
        assert_eq!((&minimal["max_password_age"], &minimal["password_reuse_prevention"]), (&json!(0), &json!(0)));
        assert_eq!(minimal["hard_expiry"], json!(false));
    }

    #[test]
    fn policy_documents_are_url_decoded() {
        // moto's wire form of `inline1` (as IAM encodes documents).
        let wire = "%7B%22Version%22%3A%20%222012-10-17%22%2C%20%22Statement%22%3A%20%5B%7B%22Effect%22%3A%20%22Allow%22%2C%20%22Action%22%3A%20%22s3%3A%2A%22%2C%20%22Resource%22%3A%20%22arn%3Aaws%3As3%3A%3A%3Aa%20b/%2541%2Bc%22%7D%5D%7D";
        assert_eq!(
            policy_text(wire),
            r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::a b/%41+c"}]}"#
        );
        let plain = r#"{"Resource": "a%41+b"}"#;
        assert_eq!(policy_text(plain), plain, "already JSON: kept");
        assert_eq!(policy_text("%7Ba+b%7D"), "{a+b}", "+ is not a space");
        assert_eq!(policy_text("%7B%zz"), "%7B%zz", "a malformed escape: kept");
        assert_eq!(policy_text("%7B%"), "%7B%");
        assert_eq!(policy_text("%FF%FE"), "%FF%FE", "not UTF-8: kept");
        assert_eq!(policy_text("%C3%A9"), "é");
    }
}
