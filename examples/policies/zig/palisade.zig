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
    /// Paths (arrays of keys and indexes) of the values the configuration
    /// does not set; `.null` when absent. Read states with `ref`.
    unset: Value = .null,
    /// Paths of the values encrypted in this input; `.null` when absent.
    encrypted: Value = .null,
    source: []const u8 = "",

    /// `props[key]`, or null when it is absent or `props` is not an object.
    pub fn prop(r: Resource, key: []const u8) ?Value {
        return get(r.props, key);
    }

    /// The root of `props` as a `Ref`, to navigate with `get` and `at`.
    pub fn root(r: Resource) Ref {
        var out: Ref = .{ .unset = r.unset, .encrypted = r.encrypted };
        out.settle(r.props);
        return out;
    }

    /// `props[key]` with its state: `r.ref("acl").state`.
    pub fn ref(r: Resource, key: []const u8) Ref {
        return r.root().get(key);
    }
};

/// The state of a value in `props` (sdk/ABI.md section 4, "Not set and
/// encrypted values").
pub const State = enum {
    /// No such key (or a key under a value that is not an object or array).
    absent,
    /// A JSON null.
    null,
    /// Not set in the configuration; the provider fills it in at apply.
    unset,
    /// Encrypted in this input (Pulumi ciphertext, `[secret]`).
    encrypted,
    /// Set by an expression known only after apply.
    unknown,
    /// A value.
    known,

    /// Whether there is no value to read here: unset, encrypted or unknown.
    pub fn hasNoValue(s: State) bool {
        return s == .unset or s == .encrypted or s == .unknown;
    }
};

/// One step of a path: an object key or an array index.
pub const Step = union(enum) { key: []const u8, index: usize };

/// The longest path a `Ref` records; listed paths longer than it are not matched.
pub const max_path = 16;

/// A value of a resource's `props` with its path and `State`. `get` and
/// `at` navigate: a missing key is absent, and under an unset, encrypted or
/// unknown value everything is in the same state. `configured()` reads unset
/// values as absent, for a policy that applies the provider's default; it
/// sticks through navigation. `Ref{}` is absent.
pub const Ref = struct {
    unset: Value = .null,
    encrypted: Value = .null,
    /// The value when `state` is `.known`.
    value: ?Value = null,
    state: State = .absent,
    /// Whether unset values read as absent here and below.
    is_configured: bool = false,
    /// Steps from the root of `props`; the first `max_path` are in `path`.
    depth: usize = 0,
    path: [max_path]Step = undefined,

    /// The member `key` of an object.
    pub fn get(self: Ref, key: []const u8) Ref {
        var found: ?Value = null;
        var step: Step = .{ .key = key };
        if (self.value) |v| switch (v) {
            .object => |o| if (o.getEntry(key)) |entry| {
                found = entry.value_ptr.*;
                step = .{ .key = entry.key_ptr.* };
            },
            else => {},
        };
        return self.child(step, found);
    }

    /// The item `index` of an array.
    pub fn at(self: Ref, index: usize) Ref {
        var found: ?Value = null;
        if (self.value) |v| switch (v) {
            .array => |a| if (index < a.items.len) {
                found = a.items[index];
            },
            else => {},
        };
        return self.child(.{ .index = index }, found);
    }

    /// This value with unset values read as absent, here and below.
    pub fn configured(self: Ref) Ref {
        var out = self;
        out.is_configured = true;
        if (out.state == .unset) out.state = .absent;
        return out;
    }

    /// Why the value cannot be read here ("`acl` is not set in the
    /// configuration"), allocated with `allocator`; null when it is absent,
    /// null or known.
    pub fn reason(self: Ref, allocator: Allocator) !?[]const u8 {
        const why = switch (self.state) {
            .unset => "` is not set in the configuration",
            .encrypted => "` is encrypted in this export (run `pulumi stack export --show-secrets`, or `pulumi policy analyze`)",
            .unknown => "` is known only after apply",
            else => return null,
        };
        var out: std.ArrayList(u8) = .empty;
        try out.append(allocator, '`');
        const shown = @min(self.depth, max_path);
        if (self.depth == 0) try out.appendSlice(allocator, "props");
        for (self.path[0..shown], 0..) |step, i| switch (step) {
            .key => |k| {
                if (i > 0) try out.append(allocator, '.');
                try out.appendSlice(allocator, k);
            },
            .index => |n| try out.print(allocator, "[{d}]", .{n}),
        };
        if (self.depth > shown) try out.appendSlice(allocator, "...");
        try out.appendSlice(allocator, why);
        return out.items;
    }

    fn child(self: Ref, step: Step, found: ?Value) Ref {
        var out = self;
        if (out.depth < max_path) out.path[out.depth] = step;
        out.depth += 1;
        if (!self.state.hasNoValue()) out.settle(found);
        return out;
    }

    fn settle(self: *Ref, found: ?Value) void {
        self.value = null;
        const v = found orelse {
            self.state = .absent;
            return;
        };
        if (v == .null) {
            self.state = .null;
        } else if (isUnknown(v)) {
            self.state = self.covering();
        } else {
            self.state = .known;
            self.value = v;
        }
        if (self.is_configured and self.state == .unset) self.state = .absent;
    }

    /// The state of the sentinel here: that of the nearest path listed in
    /// `encrypted` or `unset` that is this path or a prefix of it
    /// (encrypted wins a tie); unknown when none is.
    fn covering(self: Ref) State {
        var state: State = .unknown;
        var best: ?usize = null;
        const lists = [_]struct { Value, State }{ .{ self.encrypted, .encrypted }, .{ self.unset, .unset } };
        for (lists) |list| {
            const paths = switch (list[0]) {
                .array => |a| a.items,
                else => continue,
            };
            for (paths) |path| {
                const steps = switch (path) {
                    .array => |a| a.items,
                    else => continue,
                };
                if (!self.startsWith(steps)) continue;
                if (best == null or steps.len > best.?) {
                    best = steps.len;
                    state = list[1];
                }
            }
        }
        return state;
    }

    fn startsWith(self: Ref, steps: []const Value) bool {
        if (steps.len > self.depth or steps.len > max_path) return false;
        for (steps, self.path[0..steps.len]) |listed, step| {
            const same = switch (listed) {
                .string => |s| step == .key and std.mem.eql(u8, s, step.key),
                .integer => |n| step == .index and n >= 0 and @as(u64, @intCast(n)) == step.index,
                else => false,
            };
            if (!same) return false;
        }
        return true;
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

    /// When `ref` is unset, encrypted or unknown, reports that the policy
    /// cannot decide on `r`, with the reason (`Ref.reason`), and returns
    /// true; otherwise false.
    pub fn undecidedFor(ctx: *Context, r: Resource, ref: Ref) !bool {
        const message = try ref.reason(ctx.allocator) orelse return false;
        try ctx.add(r, message, true);
        return true;
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

// Native unit tests of the value states: `zig test palisade.zig`.

fn testResource(a: Allocator, text: []const u8) !Resource {
    return json.parseFromSliceLeaky(Resource, a, text, parse_options);
}

const u = "\"04da6b54-80e4-46f7-96ec-b56ff0331ba9\"";

test "states" {
    var arena = std.heap.ArenaAllocator.init(std.testing.allocator);
    defer arena.deinit();
    const r = try testResource(arena.allocator(),
        \\{"address":"r","props":{"a":null,"u":
    ++ u ++
        \\,"s":
    ++ u ++
        \\,"e":
    ++ u ++
        \\,"k":[1,{"x":
    ++ u ++
        \\}]},"unset":[["s"],["k",1,"x"],["a",true],[1.5],"s"],"encrypted":[["e"]]}
    );
    const expect = std.testing.expectEqual;
    try expect(State.absent, r.ref("none").state);
    try expect(State.null, r.ref("a").state);
    try expect(State.unset, r.ref("s").state);
    try expect(State.encrypted, r.ref("e").state);
    try expect(State.unknown, r.ref("u").state);
    try expect(State.known, r.ref("k").state);
    try expect(State.unset, r.ref("k").at(1).get("x").state);
    try expect(State.known, r.ref("k").at(0).state);
    try expect(State.absent, r.ref("k").at(2).state);
    try expect(State.absent, r.ref("k").get("0").state);
    try expect(State.absent, r.ref("a").get("b").state);
    try expect(State.unset, r.ref("s").get("x").at(0).state);
    try expect(State.encrypted, r.ref("e").get("x").state);
    try expect(State.unknown, r.ref("u").at(3).state);
    try expect(@as(i64, 1), r.ref("k").at(0).value.?.integer);
    try expect(@as(?Value, null), r.ref("e").value);
    try expect(State.absent, (Ref{}).get("x").state);
    const root_unset = try testResource(arena.allocator(), "{\"address\":\"r\",\"props\":" ++ u ++ ",\"unset\":[[]]}");
    try expect(State.unset, root_unset.ref("x").state);
}

test "nearest path, ties and configured" {
    var arena = std.heap.ArenaAllocator.init(std.testing.allocator);
    defer arena.deinit();
    const a = arena.allocator();
    const expect = std.testing.expectEqual;
    const near = try testResource(a, "{\"address\":\"r\",\"props\":{\"a\":{\"b\":" ++ u ++ "},\"c\":" ++ u ++
        "},\"unset\":[[\"a\"],[\"c\"]],\"encrypted\":[[\"a\",\"b\"],[\"c\"]]}");
    try expect(State.encrypted, near.ref("a").get("b").state);
    try expect(State.encrypted, near.ref("c").state);
    const far = try testResource(a, "{\"address\":\"r\",\"props\":{\"a\":{\"b\":" ++ u ++
        "}},\"unset\":[[\"a\",\"b\"]],\"encrypted\":[[\"a\"]]}");
    try expect(State.unset, far.ref("a").get("b").state);
    const r = try testResource(a, "{\"address\":\"r\",\"props\":{\"s\":" ++ u ++ ",\"e\":" ++ u ++ ",\"m\":{\"k\":" ++ u ++
        "}},\"unset\":[[\"s\"],[\"m\",\"k\"]],\"encrypted\":[[\"e\"]]}");
    try expect(State.absent, r.ref("s").configured().state);
    try expect(State.unset, r.ref("s").state);
    try expect(State.encrypted, r.ref("e").configured().state);
    try expect(State.absent, r.root().configured().get("m").get("k").state);
    try expect(State.unset, r.ref("m").get("k").state);
}

test "reasons" {
    var arena = std.heap.ArenaAllocator.init(std.testing.allocator);
    defer arena.deinit();
    const a = arena.allocator();
    const r = try testResource(a, "{\"address\":\"r\",\"props\":{\"acl\":" ++ u ++ ",\"rules\":[{\"cidr\":" ++ u ++
        "}],\"u\":" ++ u ++ ",\"k\":1},\"unset\":[[\"acl\"]],\"encrypted\":[[\"rules\",0,\"cidr\"]]}");
    const eql = std.testing.expectEqualStrings;
    try eql("`acl` is not set in the configuration", (try r.ref("acl").reason(a)).?);
    try eql("`rules[0].cidr` is encrypted in this export (run `pulumi stack export --show-secrets`, or `pulumi policy analyze`)", (try r.ref("rules").at(0).get("cidr").reason(a)).?);
    try eql("`u` is known only after apply", (try r.ref("u").reason(a)).?);
    try std.testing.expect(try r.ref("k").reason(a) == null);
    var ctx: Context = .{ .policy = "p", .config = .null, .allocator = a };
    try std.testing.expect(try ctx.undecidedFor(r, r.ref("acl")));
    try std.testing.expect(!try ctx.undecidedFor(r, r.ref("k")));
    try std.testing.expect(!try ctx.undecidedFor(r, r.ref("acl").configured()));
    try std.testing.expectEqual(@as(usize, 1), ctx.violations.items.len);
    try eql("`acl` is not set in the configuration", ctx.violations.items[0].message);
    try std.testing.expect(ctx.violations.items[0].undecided);
}
