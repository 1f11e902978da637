//! Palisade guest ABI v1 (sdk/ABI.md) for Zig: the exports, memory, JSON in
//! and out, the unknown sentinel and violations. A pack file declares a
//! `Pack` and calls `exportPack` on it at comptime; its policies only read
//! resources and report violations through a `Context`.

const std = @import("std");
const json = std.json;
const Allocator = std.mem.Allocator;

/// A JSON value as parsed by `std.json`.
pub const Value = json.Value;

/// The value of a property known only after apply (Pulumi's sentinel).
pub const unknown = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

pub const Severity = enum { low, medium, high, critical };
pub const EnforcementLevel = enum { advisory, mandatory, remediate, disabled };

/// What a policy judges, and the function that judges it: `resource`
/// policies are called once per target resource, `stack` policies once with
/// every resource of the stack.
pub const Check = union(enum) {
    resource: *const fn (ctx: *Context, r: Resource) anyerror!void,
    stack: *const fn (ctx: *Context, rs: []const Resource) anyerror!void,
};

pub const Policy = struct {
    name: []const u8,
    description: []const u8,
    severity: Severity,
    enforcement_level: EnforcementLevel,
    /// `&.{}` or `&.{"*"}`: every managed resource.
    resource_types: []const []const u8 = &.{},
    /// A JSON Schema, written out as raw JSON text: it must be valid JSON.
    config_schema: []const u8 = "{\"type\":\"object\"}",
    help: ?[]const u8 = null,
    check: Check,
};

pub const Pack = struct {
    name: []const u8,
    version: []const u8,
    description: ?[]const u8 = null,
    policies: []const Policy,
};

/// One resource of the batch (sdk/ABI.md section 4).
pub const Resource = struct {
    address: []const u8,
    type: []const u8 = "",
    name: []const u8 = "",
    provider: []const u8 = "",
    kind: []const u8 = "",
    op: []const u8 = "",
    props: Value = .null,
    before: Value = .null,
    source: []const u8 = "",

    /// `props[key]`, or null when it is absent or `props` is not an object.
    pub fn prop(r: Resource, key: []const u8) ?Value {
        return get(r.props, key);
    }
};

/// `v[key]` when `v` is an object that has `key`, else null.
pub fn get(v: ?Value, key: []const u8) ?Value {
    const val = v orelse return null;
    return switch (val) {
        .object => |o| o.get(key),
        else => null,
    };
}

/// The string `v` holds, or null when it is absent or not a string.
pub fn string(v: ?Value) ?[]const u8 {
    const val = v orelse return null;
    return switch (val) {
        .string => |s| s,
        else => null,
    };
}

/// Whether `v` is the unknown sentinel.
pub fn isUnknown(v: ?Value) bool {
    const s = string(v) orelse return false;
    return std.mem.eql(u8, s, unknown);
}

const Violation = struct {
    policy: []const u8,
    resource: []const u8,
    message: []const u8,
    undecided: bool,
};

/// What a policy sees besides its resources: its config, an allocator that
/// lives until the reply is sent, and the violations found so far.
pub const Context = struct {
    policy: []const u8,
    /// The policy's config object, schema defaults filled in by the host.
    config: Value,
    /// An arena, freed after the reply: no need to free what you allocate.
    allocator: Allocator,
    violations: std.ArrayList(Violation) = .empty,

    /// Reports that `r` breaks the policy. `message` is copied by reference:
    /// it must live until the reply (a literal, or allocated with `allocator`).
    pub fn violation(ctx: *Context, r: Resource, message: []const u8) !void {
        try ctx.add(r, message, false);
    }

    /// Reports that the policy cannot decide on `r` because a value it needs
    /// is unknown until apply.
    pub fn undecided(ctx: *Context, r: Resource, message: []const u8) !void {
        try ctx.add(r, message, true);
    }

    fn add(ctx: *Context, r: Resource, message: []const u8, is_undecided: bool) !void {
        try ctx.violations.append(ctx.allocator, .{
            .policy = ctx.policy,
            .resource = r.address,
            .message = message,
            .undecided = is_undecided,
        });
    }
};

/// Makes this module a pack: exports the ABI functions serving `pack`.
/// Call it from a `comptime` block of the root file.
pub fn exportPack(comptime pack: Pack) void {
    const abi = Abi(pack);
    @export(&abi.version, .{ .name = "palisade_abi_version" });
    @export(&abi.alloc, .{ .name = "palisade_alloc" });
    @export(&abi.describe, .{ .name = "palisade_describe" });
    @export(&abi.load, .{ .name = "palisade_load" });
    @export(&abi.evaluate, .{ .name = "palisade_evaluate" });
}

const gpa = std.heap.wasm_allocator;
const parse_options: json.ParseOptions = .{
    .ignore_unknown_fields = true,
    .duplicate_field_behavior = .use_last,
};

/// Holds the loaded batch (and the input buffers it points into).
var batch_arena = std.heap.ArenaAllocator.init(gpa);
/// Holds one call's request and reply; reset at the start of the next call.
var call_arena = std.heap.ArenaAllocator.init(gpa);
var batch: ?[]const Resource = null;

const Batch = struct { resources: []const Resource };
const Request = struct {
    policy: []const u8,
    config: Value = .null,
    targets: []const usize,
};

fn Abi(comptime pack: Pack) type {
    return struct {
        fn version() callconv(.c) i32 {
            return 1;
        }

        fn alloc(len: usize) callconv(.c) usize {
            // `load` keeps its buffer (the batch points into it); `evaluate` frees its own.
            const buf = gpa.alloc(u8, @max(len, 1)) catch return 0;
            return @intFromPtr(buf.ptr);
        }

        fn describe() callconv(.c) u64 {
            const a = newCall();
            return reply(writeDescribe(a, pack) catch return oom());
        }

        fn load(ptr: [*]const u8, len: usize) callconv(.c) u64 {
            const a = newCall();
            _ = batch_arena.reset(.free_all);
            batch = null;
            const parsed = json.parseFromSliceLeaky(Batch, batch_arena.allocator(), ptr[0..len], parse_options) catch |e|
                return replyError(a, "cannot read the batch: {t}", .{e});
            batch = parsed.resources;
            return 0;
        }

        fn evaluate(ptr: [*]u8, len: usize) callconv(.c) u64 {
            const a = newCall();
            // The request is copied into the call arena: free its buffer.
            defer gpa.free(ptr[0..@max(len, 1)]);
            var options = parse_options;
            options.allocate = .alloc_always;
            const req = json.parseFromSliceLeaky(Request, a, ptr[0..len], options) catch |e|
                return replyError(a, "cannot read the request: {t}", .{e});
            const resources = batch orelse return replyError(a, "no batch loaded", .{});
            for (req.targets) |i| if (i >= resources.len)
                return replyError(a, "target {d} is out of range (batch of {d})", .{ i, resources.len });
            var ctx: Context = .{ .policy = req.policy, .config = req.config, .allocator = a };
            inline for (pack.policies) |p| {
                if (std.mem.eql(u8, p.name, req.policy)) {
                    run(p.check, &ctx, resources, req.targets) catch |e|
                        return replyError(a, "policy failed: {t}", .{e});
                    const out = json.Stringify.valueAlloc(a, .{ .violations = ctx.violations.items }, .{}) catch return oom();
                    return reply(out);
                }
            }
            return replyError(a, "unknown policy \"{s}\"", .{req.policy});
        }
    };
}

fn run(check: Check, ctx: *Context, resources: []const Resource, targets: []const usize) !void {
    switch (check) {
        .resource => |f| for (targets) |i| try f(ctx, resources[i]),
        .stack => |f| {
            const rs = try ctx.allocator.alloc(Resource, targets.len);
            for (rs, targets) |*r, i| r.* = resources[i];
            try f(ctx, rs);
        },
    }
}

fn writeDescribe(a: Allocator, comptime pack: Pack) ![]u8 {
    var out: std.Io.Writer.Allocating = .init(a);
    var w: json.Stringify = .{ .writer = &out.writer, .options = .{ .emit_null_optional_fields = false } };
    try w.beginObject();
    try w.objectField("name");
    try w.write(pack.name);
    try w.objectField("version");
    try w.write(pack.version);
    if (pack.description) |d| {
        try w.objectField("description");
        try w.write(d);
    }
    try w.objectField("policies");
    try w.beginArray();
    inline for (pack.policies) |p| {
        try w.beginObject();
        try w.objectField("name");
        try w.write(p.name);
        try w.objectField("description");
        try w.write(p.description);
        try w.objectField("severity");
        try w.write(@tagName(p.severity));
        try w.objectField("enforcement_level");
        try w.write(@tagName(p.enforcement_level));
        try w.objectField("kind");
        try w.write(@tagName(p.check));
        try w.objectField("resource_types");
        try w.write(p.resource_types);
        try w.objectField("config_schema");
        try w.print("{s}", .{p.config_schema});
        if (p.help) |h| {
            try w.objectField("help");
            try w.write(h);
        }
        try w.endObject();
    }
    try w.endArray();
    try w.endObject();
    return out.written();
}

fn newCall() Allocator {
    _ = call_arena.reset(.retain_capacity);
    return call_arena.allocator();
}

fn reply(doc: []const u8) u64 {
    return @as(u64, doc.len) << 32 | @intFromPtr(doc.ptr);
}

fn replyError(a: Allocator, comptime fmt: []const u8, args: anytype) u64 {
    const message = std.fmt.allocPrint(a, fmt, args) catch return oom();
    const doc = json.Stringify.valueAlloc(a, .{ .@"error" = message }, .{}) catch return oom();
    return reply(doc);
}

fn oom() u64 {
    return reply("{\"error\":\"out of memory\"}");
}
