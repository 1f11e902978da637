//! The Palisade example pack, in Zig (examples/policies/README.md).

const std = @import("std");
const p = @import("palisade.zig");

pub const pack: p.Pack = .{
    .name = "example-zig",
    .version = "1.0.0",
    .description = "The Palisade example pack, in Zig.",
    .policies = &.{
        .{
            .name = "aws-s3-bucket-disallow-public-read",
            .description = "S3 buckets and bucket ACLs must not grant public read access.",
            .severity = .high,
            .enforcement_level = .mandatory,
            .resource_types = &.{
                "aws_s3_bucket",
                "aws_s3_bucket_acl",
                "aws:s3/bucket:Bucket",
                "aws:s3/bucketV2:BucketV2",
                "aws:s3/bucketAclV2:BucketAclV2",
            },
            .help = "https://docs.aws.amazon.com/AmazonS3/latest/userguide/acl-overview.html#canned-acl",
            .check = .{ .resource = disallowPublicRead },
        },
        .{
            .name = "required-tags",
            .description = "Resources must carry the tags named in the config.",
            .severity = .medium,
            .enforcement_level = .advisory,
            .resource_types = &.{
                "aws_s3_bucket",
                "aws_instance",
                "aws:s3/bucket:Bucket",
                "aws:s3/bucketV2:BucketV2",
                "aws:ec2/instance:Instance",
            },
            .config_schema =
            \\{"type":"object","properties":{"tags":{"type":"array","items":{"type":"string"},"default":["owner"]}}}
            ,
            .help = "Add the missing keys to the resource's tags.",
            .check = .{ .resource = requiredTags },
        },
    },
};

comptime {
    p.exportPack(pack);
}

/// `props.<key>` exactly as the spec reads it (absent unless `props` is an
/// object), with unset values read as absent.
fn configuredProp(r: p.Resource, key: []const u8) p.Ref {
    if (r.props != .object) return .{};
    return r.ref(key).configured();
}

fn disallowPublicRead(ctx: *p.Context, r: p.Resource) !void {
    // An ACL the configuration does not set reads as absent: the AWS provider
    // (4 and later) makes it computed, and a new bucket is private.
    const acl = configuredProp(r, "acl");
    switch (acl.state) {
        .encrypted => return ctx.undecided(r, "The bucket ACL is encrypted in this export; run pulumi stack export --show-secrets, or pulumi policy analyze."),
        .unknown => return ctx.undecided(r, "The bucket ACL is unknown until apply."),
        else => {},
    }
    const s = p.string(acl.value) orelse return;
    if (std.mem.eql(u8, s, "public-read"))
        return ctx.violation(r, "S3 bucket ACL \"public-read\" grants public read access.");
    if (std.mem.eql(u8, s, "public-read-write"))
        return ctx.violation(r, "S3 bucket ACL \"public-read-write\" grants public read and write access.");
}

fn requiredTags(ctx: *p.Context, r: p.Resource) !void {
    const required: []const p.Value = switch (p.get(ctx.config, "tags") orelse .null) {
        .array => |a| a.items,
        else => &.{},
    };
    // Nothing required: no value is needed to decide.
    for (required) |item| {
        if (p.string(item) != null) break;
    } else return;
    // Tags the configuration does not set: no tags.
    const ref = configuredProp(r, "tags");
    switch (ref.state) {
        .encrypted => return ctx.undecided(r, "The tags are encrypted in this export; run pulumi stack export --show-secrets, or pulumi policy analyze."),
        .unknown => return ctx.undecided(r, "The tags are unknown until apply."),
        else => {},
    }
    const tags = ref.value;
    var missing: std.ArrayList(u8) = .empty;
    for (required, 0..) |item, i| {
        const key = p.string(item) orelse continue;
        if (p.get(tags, key) != null) continue;
        if (seenBefore(required[0..i], key)) continue;
        try missing.appendSlice(ctx.allocator, if (missing.items.len == 0) "Missing required tags: " else ", ");
        try missing.appendSlice(ctx.allocator, key);
    }
    if (missing.items.len == 0) return;
    try missing.append(ctx.allocator, '.');
    try ctx.violation(r, missing.items);
}

fn seenBefore(items: []const p.Value, key: []const u8) bool {
    for (items) |item| {
        if (std.mem.eql(u8, p.string(item) orelse continue, key)) return true;
    }
    return false;
}
