//! RDS database instances (`aws_db_instance`) and clusters
//! (`aws_rds_cluster`): `DescribeDBInstances` and `DescribeDBClusters` list
//! them with their whole configuration and their tags (`TagList`); no detail
//! call is needed. Aurora cluster members are DB instances too (Terraform
//! manages them as `aws_db_instance` or `aws_rds_cluster_instance`) and are
//! kept. The same two calls also return DocumentDB and Neptune instances and
//! clusters (engines `docdb`, `neptune`), which Terraform manages as other
//! types: they are left out.
//!
//! API: <https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/>. The
//! Terraform ids are the identifiers (as `crate::arn` derives them from the
//! ARNs `...:db:NAME`, `...:cluster:NAME`).
//!
//! Derived members: the table language has no rule to pluck one member of
//! each object of a list, nor to join two values, so each instance's raw
//! output gets `Derived.VpcSecurityGroupIds` (the ids of `VpcSecurityGroups`)
//! and `Derived.Endpoint` (`Endpoint.Address:Endpoint.Port`, Terraform's
//! `endpoint`). Everything else in the raw output is the API's.
//!
//! moto: both calls answer with these members; `DescribeDBInstances` pages
//! (`MaxRecords`, 100 by default), `DescribeDBClusters` does not. moto gives
//! Aurora clusters (and their members) a placeholder `KmsKeyId`
//! (`default_kms_key_id`, even unencrypted), leaves `PubliclyAccessible` out
//! of cluster members, and cannot create DocumentDB clusters (Neptune ones
//! it returns from `DescribeDBClusters`, and they are left out here).

use std::collections::BTreeMap;

use aws_sdk_rds as rds;
use serde_json::{Value, json};

use super::raw::Raw;
use super::table::Rule;
use super::{Call, Ctx, Found, Outcome, Service, TypeReader};

const DESCRIBE_DB_INSTANCES: Call = Call::list("rds", "DescribeDBInstances");
const DESCRIBE_DB_CLUSTERS: Call = Call::list("rds", "DescribeDBClusters");

/// Engines that `DescribeDBInstances` and `DescribeDBClusters` return but
/// that are not RDS (Terraform: `aws_docdb_*`, `aws_neptune_*`).
const OTHER_ENGINES: [&str; 2] = ["docdb", "neptune"];

/// `aws_db_instance`.
pub static INSTANCE: TypeReader = TypeReader {
    terraform_type: "aws_db_instance",
    tagging_type: "rds:db",
    calls: &[&DESCRIBE_DB_INSTANCES],
    rules: &[
        Rule::Copy("DescribeDBInstances.DBInstanceIdentifier", "identifier"),
        Rule::Copy("DescribeDBInstances.DBInstanceArn", "arn"),
        Rule::Copy("DescribeDBInstances.Engine", "engine"),
        Rule::Copy("DescribeDBInstances.EngineVersion", "engine_version"),
        Rule::Copy("DescribeDBInstances.DBInstanceClass", "instance_class"),
        Rule::Copy("DescribeDBInstances.AllocatedStorage", "allocated_storage"),
        Rule::Copy("DescribeDBInstances.StorageType", "storage_type"),
        Rule::Copy("DescribeDBInstances.StorageEncrypted", "storage_encrypted"),
        Rule::Copy("DescribeDBInstances.KmsKeyId", "kms_key_id"),
        Rule::Copy("DescribeDBInstances.PubliclyAccessible", "publicly_accessible"),
        Rule::Copy("DescribeDBInstances.MultiAZ", "multi_az"),
        Rule::Copy("DescribeDBInstances.BackupRetentionPeriod", "backup_retention_period"),
        Rule::Copy("DescribeDBInstances.DeletionProtection", "deletion_protection"),
        Rule::Copy("DescribeDBInstances.DBSubnetGroup.DBSubnetGroupName", "db_subnet_group_name"),
        Rule::Copy("DescribeDBInstances.Derived.VpcSecurityGroupIds", "vpc_security_group_ids"),
        Rule::Copy("DescribeDBInstances.IAMDatabaseAuthenticationEnabled", "iam_database_authentication_enabled"),
        Rule::Copy("DescribeDBInstances.AutoMinorVersionUpgrade", "auto_minor_version_upgrade"),
        Rule::Copy("DescribeDBInstances.DBClusterIdentifier", "cluster_identifier"),
        Rule::Copy("DescribeDBInstances.Derived.Endpoint", "endpoint"),
        Rule::Copy("DescribeDBInstances.Endpoint.Address", "address"),
        Rule::Copy("DescribeDBInstances.Endpoint.Port", "port"),
    ],
    own_tags: true,
};

/// `aws_rds_cluster`.
pub static CLUSTER: TypeReader = TypeReader {
    terraform_type: "aws_rds_cluster",
    tagging_type: "rds:cluster",
    calls: &[&DESCRIBE_DB_CLUSTERS],
    rules: &[
        Rule::Copy("DescribeDBClusters.DBClusterIdentifier", "cluster_identifier"),
        Rule::Copy("DescribeDBClusters.DBClusterArn", "arn"),
        Rule::Copy("DescribeDBClusters.Engine", "engine"),
        Rule::Copy("DescribeDBClusters.EngineVersion", "engine_version"),
        Rule::Copy("DescribeDBClusters.StorageEncrypted", "storage_encrypted"),
        Rule::Copy("DescribeDBClusters.KmsKeyId", "kms_key_id"),
        Rule::Copy("DescribeDBClusters.BackupRetentionPeriod", "backup_retention_period"),
        Rule::Copy("DescribeDBClusters.DeletionProtection", "deletion_protection"),
        Rule::Copy("DescribeDBClusters.DatabaseName", "database_name"),
        Rule::Copy("DescribeDBClusters.Port", "port"),
        Rule::Copy("DescribeDBClusters.IAMDatabaseAuthenticationEnabled", "iam_database_authentication_enabled"),
        Rule::Copy("DescribeDBClusters.MasterUsername", "master_username"),
    ],
    own_tags: true,
};

/// The RDS reader.
pub static SERVICE: Service =
    Service { name: "rds", global: false, types: &[&INSTANCE, &CLUSTER], read: |ctx| Box::pin(read(ctx)) };

crate::raw_struct! {
    rds::types::DbInstance {
        "DBInstanceIdentifier" => db_instance_identifier, "DBInstanceArn" => db_instance_arn,
        "DbiResourceId" => dbi_resource_id, "DBInstanceClass" => db_instance_class, "Engine" => engine,
        "EngineVersion" => engine_version, "DBInstanceStatus" => db_instance_status, "DBName" => db_name,
        "AllocatedStorage" => allocated_storage, "StorageType" => storage_type,
        "StorageEncrypted" => storage_encrypted, "KmsKeyId" => kms_key_id,
        "PubliclyAccessible" => publicly_accessible, "MultiAZ" => multi_az,
        "BackupRetentionPeriod" => backup_retention_period, "DeletionProtection" => deletion_protection,
        "DBSubnetGroup" => db_subnet_group, "VpcSecurityGroups" => vpc_security_groups,
        "IAMDatabaseAuthenticationEnabled" => iam_database_authentication_enabled,
        "AutoMinorVersionUpgrade" => auto_minor_version_upgrade, "DBClusterIdentifier" => db_cluster_identifier,
        "Endpoint" => endpoint,
    }
    rds::types::DbCluster {
        "DBClusterIdentifier" => db_cluster_identifier, "DBClusterArn" => db_cluster_arn, "Engine" => engine,
        "EngineVersion" => engine_version, "EngineMode" => engine_mode, "Status" => status,
        "StorageEncrypted" => storage_encrypted, "KmsKeyId" => kms_key_id,
        "BackupRetentionPeriod" => backup_retention_period, "DeletionProtection" => deletion_protection,
        "DatabaseName" => database_name, "Port" => port,
        "IAMDatabaseAuthenticationEnabled" => iam_database_authentication_enabled,
        "MasterUsername" => master_username,
    }
    rds::types::DbSubnetGroup { "DBSubnetGroupName" => db_subnet_group_name }
    rds::types::VpcSecurityGroupMembership { "VpcSecurityGroupId" => vpc_security_group_id, "Status" => status }
    rds::types::Endpoint { "Address" => address, "Port" => port, "HostedZoneId" => hosted_zone_id }
}

async fn read(ctx: &Ctx) {
    let client = rds::Client::new(&ctx.config);
    if ctx.wants(&INSTANCE) {
        read_instances(ctx, &client).await;
    }
    if ctx.wants(&CLUSTER) {
        read_clusters(ctx, &client).await;
    }
}

async fn read_instances(ctx: &Ctx, client: &rds::Client) {
    let mut pages = client.describe_db_instances().into_paginator().send();
    while let Some(page) = ctx.page(&INSTANCE, &DESCRIBE_DB_INSTANCES, &mut pages).await {
        let page = match page {
            Outcome::Ok(page) => page,
            Outcome::Failed(f) => return ctx.list_failed(f),
            Outcome::Absent | Outcome::Gone => return,
        };
        for db in page.db_instances() {
            let Some(id) = db.db_instance_identifier() else { continue };
            if is_other_engine(db.engine()) {
                continue;
            }
            let arn = db.db_instance_arn().map_or_else(|| build_arn(ctx, "db", id), str::to_string);
            let mut found = Found::new(&INSTANCE, arn, &DESCRIBE_DB_INSTANCES, instance_raw(db));
            found.tags = Some(tag_map(db.tag_list()));
            ctx.found(found);
        }
    }
}

async fn read_clusters(ctx: &Ctx, client: &rds::Client) {
    let mut pages = client.describe_db_clusters().into_paginator().send();
    while let Some(page) = ctx.page(&CLUSTER, &DESCRIBE_DB_CLUSTERS, &mut pages).await {
        let page = match page {
            Outcome::Ok(page) => page,
            Outcome::Failed(f) => return ctx.list_failed(f),
            Outcome::Absent | Outcome::Gone => return,
        };
        for cluster in page.db_clusters() {
            let Some(id) = cluster.db_cluster_identifier() else { continue };
            if is_other_engine(cluster.engine()) {
                continue;
            }
            let arn = cluster.db_cluster_arn().map_or_else(|| build_arn(ctx, "cluster", id), str::to_string);
            let mut found = Found::new(&CLUSTER, arn, &DESCRIBE_DB_CLUSTERS, cluster.raw());
            found.tags = Some(tag_map(cluster.tag_list()));
            ctx.found(found);
        }
    }
}

/// An instance's raw output, with the members the table cannot derive.
fn instance_raw(db: &rds::types::DbInstance) -> Value {
    let mut raw = db.raw();
    let ids: Vec<&str> = db.vpc_security_groups().iter().filter_map(|g| g.vpc_security_group_id()).collect();
    let endpoint = db.endpoint().and_then(|e| Some(format!("{}:{}", e.address()?, e.port()?)));
    if let Value::Object(members) = &mut raw {
        let derived = super::raw::object([("VpcSecurityGroupIds", json!(ids)), ("Endpoint", endpoint.raw())]);
        members.insert("Derived".into(), derived);
    }
    raw
}

/// Whether `engine` is DocumentDB's or Neptune's, not RDS's.
fn is_other_engine(engine: Option<&str>) -> bool {
    engine.is_some_and(|e| OTHER_ENGINES.contains(&e))
}

/// `arn:PARTITION:rds:REGION:ACCOUNT:KIND:ID`, for an answer without one.
fn build_arn(ctx: &Ctx, kind: &str, id: &str) -> String {
    let partition = crate::aws::regions::partition_of(&ctx.region);
    format!("arn:{partition}:rds:{}:{}:{kind}:{id}", ctx.region, ctx.account)
}

/// `TagList` as a map.
fn tag_map(tags: &[rds::types::Tag]) -> BTreeMap<String, String> {
    tags.iter().filter_map(|t| Some((t.key()?.to_string(), t.value().unwrap_or_default().to_string()))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::live::table::apply;

    /// `DescribeDBInstances` items as moto 5 answered them (through the
    /// `live` example), derived members included.
    fn instance(item: Value) -> Value {
        json!({ "DescribeDBInstances": item })
    }

    #[test]
    fn public_unencrypted_instance() {
        let raw = instance(json!({
            "AllocatedStorage": 20, "AutoMinorVersionUpgrade": true, "BackupRetentionPeriod": 1,
            "DBInstanceArn": "arn:aws:rds:us-east-1:123456789012:db:db-public", "DBInstanceClass": "db.t3.micro",
            "DBInstanceIdentifier": "db-public", "DBInstanceStatus": "available",
            "DbiResourceId": "db-M5ENSHXFPU6XHZ4G4ZEI5QIO2U", "DeletionProtection": false,
            "Derived": {"Endpoint": "db-public.aaaaaaaaaa.us-east-1.rds.amazonaws.com:5432",
                        "VpcSecurityGroupIds": ["sg-15840bbbb8b57a20f"]},
            "Endpoint": {"Address": "db-public.aaaaaaaaaa.us-east-1.rds.amazonaws.com", "Port": 5432},
            "Engine": "postgres", "EngineVersion": "9.3.3", "IAMDatabaseAuthenticationEnabled": false,
            "MultiAZ": false, "PubliclyAccessible": true, "StorageEncrypted": false, "StorageType": "gp2",
            "VpcSecurityGroups": [{"Status": "active", "VpcSecurityGroupId": "sg-15840bbbb8b57a20f"}]
        }));
        assert_eq!(
            Value::Object(apply(INSTANCE.rules, &raw)),
            json!({
                "identifier": "db-public", "arn": "arn:aws:rds:us-east-1:123456789012:db:db-public",
                "engine": "postgres", "engine_version": "9.3.3", "instance_class": "db.t3.micro",
                "allocated_storage": 20, "storage_type": "gp2", "storage_encrypted": false,
                "publicly_accessible": true, "multi_az": false, "backup_retention_period": 1,
                "deletion_protection": false, "vpc_security_group_ids": ["sg-15840bbbb8b57a20f"],
                "iam_database_authentication_enabled": false, "auto_minor_version_upgrade": true,
                "endpoint": "db-public.aaaaaaaaaa.us-east-1.rds.amazonaws.com:5432",
                "address": "db-public.aaaaaaaaaa.us-east-1.rds.amazonaws.com", "port": 5432
            })
        );
    }

    #[test]
    fn private_encrypted_instance() {
        let key = "arn:aws:kms:us-east-1:123456789012:key/93fdf015-130c-474e-b7a7-f87ec06149d8";
        let raw = instance(json!({
            "AllocatedStorage": 50, "AutoMinorVersionUpgrade": true, "BackupRetentionPeriod": 7,
            "DBInstanceArn": "arn:aws:rds:us-east-1:123456789012:db:db-private", "DBInstanceClass": "db.t3.micro",
            "DBInstanceIdentifier": "db-private", "DBInstanceStatus": "available",
            "DBSubnetGroup": {"DBSubnetGroupName": "dbsub"}, "DbiResourceId": "db-M5ENSHXFPU6XHZ4G4ZEI5QIO2U",
            "DeletionProtection": true,
            "Derived": {"Endpoint": "db-private.aaaaaaaaaa.us-east-1.rds.amazonaws.com:3306",
                        "VpcSecurityGroupIds": ["sg-0102a9faac67e2a19"]},
            "Endpoint": {"Address": "db-private.aaaaaaaaaa.us-east-1.rds.amazonaws.com", "Port": 3306},
            "Engine": "mysql", "EngineVersion": "5.6.21", "IAMDatabaseAuthenticationEnabled": true, "KmsKeyId": key,
            "MultiAZ": true, "PubliclyAccessible": false, "StorageEncrypted": true, "StorageType": "gp2",
            "VpcSecurityGroups": [{"Status": "active", "VpcSecurityGroupId": "sg-0102a9faac67e2a19"}]
        }));
        assert_eq!(
            Value::Object(apply(INSTANCE.rules, &raw)),
            json!({
                "identifier": "db-private", "arn": "arn:aws:rds:us-east-1:123456789012:db:db-private",
                "engine": "mysql", "engine_version": "5.6.21", "instance_class": "db.t3.micro",
                "allocated_storage": 50, "storage_type": "gp2", "storage_encrypted": true, "kms_key_id": key,
                "publicly_accessible": false, "multi_az": true, "backup_retention_period": 7,
                "deletion_protection": true, "db_subnet_group_name": "dbsub",
                "vpc_security_group_ids": ["sg-0102a9faac67e2a19"], "iam_database_authentication_enabled": true,
                "auto_minor_version_upgrade": true,
                "endpoint": "db-private.aaaaaaaaaa.us-east-1.rds.amazonaws.com:3306",
                "address": "db-private.aaaaaaaaaa.us-east-1.rds.amazonaws.com", "port": 3306
            })
        );
    }

    #[test]
    fn aurora_member_instance() {
        // moto leaves `PubliclyAccessible` out for cluster members.
        let raw = instance(json!({
            "AllocatedStorage": 1, "AutoMinorVersionUpgrade": true, "BackupRetentionPeriod": 1,
            "DBClusterIdentifier": "aurora-1", "DBInstanceArn": "arn:aws:rds:us-east-1:123456789012:db:aurora-1-a",
            "DBInstanceClass": "db.r5.large", "DBInstanceIdentifier": "aurora-1-a", "DBInstanceStatus": "available",
            "DBName": "app", "DbiResourceId": "db-M5ENSHXFPU6XHZ4G4ZEI5QIO2U", "DeletionProtection": false,
            "Derived": {"Endpoint": "aurora-1-a.aaaaaaaaaa.us-east-1.rds.amazonaws.com:5432",
                        "VpcSecurityGroupIds": []},
            "Endpoint": {"Address": "aurora-1-a.aaaaaaaaaa.us-east-1.rds.amazonaws.com", "Port": 5432},
            "Engine": "aurora-postgresql", "EngineVersion": "12.7", "IAMDatabaseAuthenticationEnabled": false,
            "KmsKeyId": "default_kms_key_id", "MultiAZ": false, "StorageEncrypted": true, "StorageType": "aurora",
            "VpcSecurityGroups": []
        }));
        let out = apply(INSTANCE.rules, &raw);
        assert_eq!(out["cluster_identifier"], json!("aurora-1"));
        assert_eq!(out["engine"], json!("aurora-postgresql"));
        assert_eq!(out["storage_encrypted"], json!(true));
        assert_eq!(out["vpc_security_group_ids"], json!([]));
        assert!(!out.contains_key("publicly_accessible"));
    }

    #[test]
    fn aurora_cluster() {
        let raw = json!({"DescribeDBClusters": {
            "BackupRetentionPeriod": 1, "DBClusterArn": "arn:aws:rds:us-east-1:123456789012:cluster:aurora-1",
            "DBClusterIdentifier": "aurora-1", "DatabaseName": "app", "DeletionProtection": false,
            "Engine": "aurora-postgresql", "EngineMode": "provisioned", "EngineVersion": "12.7",
            "IAMDatabaseAuthenticationEnabled": false, "KmsKeyId": "default_kms_key_id", "MasterUsername": "pgadmin",
            "Port": 5432, "Status": "available", "StorageEncrypted": true
        }});
        assert_eq!(
            Value::Object(apply(CLUSTER.rules, &raw)),
            json!({
                "cluster_identifier": "aurora-1", "arn": "arn:aws:rds:us-east-1:123456789012:cluster:aurora-1",
                "engine": "aurora-postgresql", "engine_version": "12.7", "storage_encrypted": true,
                "kms_key_id": "default_kms_key_id", "backup_retention_period": 1, "deletion_protection": false,
                "database_name": "app", "port": 5432, "iam_database_authentication_enabled": false,
                "master_username": "pgadmin"
            })
        );
    }

    #[test]
    fn derives_group_ids_and_endpoint_and_keeps_rds_engines() {
        let group = |id: &str| rds::types::VpcSecurityGroupMembership::builder().vpc_security_group_id(id).build();
        let db = rds::types::DbInstance::builder()
            .db_instance_identifier("a")
            .vpc_security_groups(group("sg-1"))
            .vpc_security_groups(group("sg-2"))
            .endpoint(rds::types::Endpoint::builder().address("a.example").port(5432).build())
            .build();
        assert_eq!(
            instance_raw(&db)["Derived"],
            json!({"VpcSecurityGroupIds": ["sg-1", "sg-2"], "Endpoint": "a.example:5432"})
        );
        let bare = rds::types::DbInstance::builder().db_instance_identifier("b").build();
        assert_eq!(instance_raw(&bare)["Derived"], json!({"VpcSecurityGroupIds": []}));
        assert!(is_other_engine(Some("docdb")) && is_other_engine(Some("neptune")));
        assert!(!is_other_engine(Some("aurora-mysql")) && !is_other_engine(Some("postgres")) && !is_other_engine(None));
        let tags =
            [rds::types::Tag::builder().key("env").value("prod").build(), rds::types::Tag::builder().key("k").build()];
        assert_eq!(tag_map(&tags), BTreeMap::from([("env".into(), "prod".into()), ("k".into(), String::new())]));
    }
}
