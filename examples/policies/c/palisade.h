/*
 * palisade.h: the helper layer for Palisade policy packs written in C
 * (guest ABI v1, sdk/ABI.md).
 *
 * palisade.c implements the ABI exports, reads the batch and request JSON
 * documents and writes the replies. A policy file only defines the pack:
 *
 *     static void check_x(const pal_resource *r, const pal_value *config,
 *                         pal_report *out) { ... pal_violation(out, "..."); }
 *     static const pal_policy POLICIES[] = {{.name = "x", ..., .check =
 * check_x}}; const pal_pack PALISADE_PACK = {.name = "p", .version = "1.0.0",
 *                                     .policies = POLICIES,
 *                                     .policy_count = PAL_COUNT(POLICIES)};
 *
 * Every pointer handed to a check function stays valid for that call only.
 */
#ifndef PALISADE_H
#define PALISADE_H

#include <stdbool.h>
#include <stddef.h>

/* Pulumi's unknown sentinel: a value known only after apply (ABI section 4). */
#define PAL_UNKNOWN "04da6b54-80e4-46f7-96ec-b56ff0331ba9"

/* The number of elements of a static array. */
#define PAL_COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* A run of UTF-8 bytes; `ptr[len]` is a NUL byte, but `ptr` may also hold
 * NUL bytes (from `\u0000`), so compare with `len`. */
typedef struct {
  const char *ptr;
  size_t len;
} pal_str;

typedef enum {
  PAL_NULL,
  PAL_BOOL,
  PAL_NUMBER,
  PAL_STRING,
  PAL_ARRAY,
  PAL_OBJECT,
} pal_type;

typedef struct pal_value pal_value;
typedef struct pal_member pal_member;

/* A JSON value. Read it with the functions below, which all accept NULL
 * (an absent value) and values of the wrong type. */
struct pal_value {
  pal_type type;
  bool integer; /* a number written without fraction or exponent */
  size_t len;   /* items of an array, members of an object */
  union {
    bool boolean;
    double number;
    pal_str string;
    const pal_value *items;
    const pal_member *members;
  } as;
};

struct pal_member {
  pal_str key;
  pal_value value;
};

/* One resource of the batch (ABI section 4). Absent string fields are empty
 * (`kind` "managed", `op` "no-op"); `props` is never NULL (a JSON null when
 * absent); `before`, `secret`, `unset` and `encrypted` are NULL when absent.
 * `unset` and `encrypted` are arrays of paths (arrays of keys and indexes);
 * read a value's state with pal_ref_prop and pal_state_of below. */
typedef struct {
  size_t index; /* in the batch */
  pal_str address, type, name, provider, kind, op, source;
  const pal_value *props, *before, *secret, *unset, *encrypted;
} pal_resource;

/* The state of a value in `props` (ABI section 4, "Not set and encrypted
 * values"). */
typedef enum {
  PAL_STATE_ABSENT,    /* no such key (or under a value without it) */
  PAL_STATE_NULL,      /* a JSON null */
  PAL_STATE_UNSET,     /* not set in the configuration; the provider fills it
                          in at apply */
  PAL_STATE_ENCRYPTED, /* encrypted in this input (Pulumi ciphertext) */
  PAL_STATE_UNKNOWN,   /* set by an expression known only after apply */
  PAL_STATE_KNOWN,     /* a value */
} pal_state;

/* The longest path a pal_ref records; listed paths longer than it are not
 * matched. */
#define PAL_PATH_MAX 16

/* One step of a path: a key, or an index when `is_index`. */
typedef struct {
  pal_str key;
  size_t index;
  bool is_index;
} pal_step;

/* A value of a resource's `props` with its path and state. Navigate with
 * pal_ref_get and pal_ref_at: a missing key is absent, and under an unset,
 * encrypted or unknown value everything is in the same state.
 * pal_configured reads unset values as absent, for a policy that applies
 * the provider's default; it sticks through navigation. A zeroed pal_ref is
 * absent. Keys given to pal_ref_get must outlive the ref (literals do). */
typedef struct {
  const pal_resource *resource;
  const pal_value *value; /* NULL unless `state` is PAL_STATE_KNOWN */
  pal_state state;
  bool configured;
  size_t depth; /* steps from the root of `props`; the first PAL_PATH_MAX
                   are in `path` */
  pal_step path[PAL_PATH_MAX];
} pal_ref;

/* Where a check function reports its findings. */
typedef struct pal_report pal_report;

typedef void (*pal_check_fn)(const pal_resource *r, const pal_value *config,
                             pal_report *out);

/* One resource policy (ABI section 3). */
typedef struct {
  const char *name;
  const char *description;
  const char *severity;          /* low, medium, high, critical */
  const char *enforcement_level; /* advisory, mandatory, remediate, disabled */
  const char *const *resource_types; /* NULL-terminated; NULL: every type */
  const char *config_schema;         /* JSON text; NULL: {"type":"object"} */
  const char *help;                  /* NULL: none */
  pal_check_fn check;                /* called once per target resource */
} pal_policy;

/* The pack, defined by the policy file under the name PALISADE_PACK. */
typedef struct {
  const char *name;
  const char *version;
  const char *description; /* NULL: none */
  const pal_policy *policies;
  size_t policy_count;
} pal_pack;

extern const pal_pack PALISADE_PACK;

/* Reading values. */
bool pal_is_null(const pal_value *v); /* absent or JSON null */
bool pal_is_string(const pal_value *v);
bool pal_is_object(const pal_value *v);
bool pal_is_array(const pal_value *v);
bool pal_is_unknown(const pal_value *v); /* the string PAL_UNKNOWN */
/* Whether `v` is the string `s` / the `len` bytes at `s`. */
bool pal_str_eq(const pal_value *v, const char *s);
bool pal_str_eq_n(const pal_value *v, const char *s, size_t len);
/* Whether `a` and `b` are both strings with the same bytes. */
bool pal_same_string(const pal_value *a, const pal_value *b);
/* Items of an array, members of an object, 0 for anything else. */
size_t pal_len(const pal_value *v);
/* Item `i` of an array; NULL when out of range or not an array. */
const pal_value *pal_at(const pal_value *array, size_t i);
/* The member `key` of an object (the last one if repeated); NULL when
 * absent or not an object. */
const pal_value *pal_get(const pal_value *object, const char *key);
const pal_value *pal_get_n(const pal_value *object, const char *key,
                           size_t len);
/* Like pal_get, but also tries the other naming style (`cidr_blocks` and
 * `cidrBlocks`): Terraform uses snake_case, Pulumi camelCase. */
const pal_value *pal_lookup(const pal_value *object, const char *key);
/* pal_lookup(r->props, key): a top-level property in either style. */
const pal_value *pal_prop(const pal_resource *r, const char *key);
/* Whether the resource's type is one of the NULL-terminated `types`. */
bool pal_is_type(const pal_resource *r, const char *const *types);

/* Value states. The root of `props`, and `props.key` (either naming style,
 * as pal_prop). */
pal_ref pal_ref_props(const pal_resource *r);
pal_ref pal_ref_prop(const pal_resource *r, const char *key);
/* The member `key` (either naming style) / item `index` under `ref`. */
pal_ref pal_ref_get(const pal_ref *ref, const char *key);
pal_ref pal_ref_at(const pal_ref *ref, size_t index);
/* `ref` with unset values read as absent, here and below. */
pal_ref pal_configured(const pal_ref *ref);
/* The state of `props.key`. */
pal_state pal_state_of(const pal_resource *r, const char *key);
/* "absent", "null", "unset", "encrypted", "unknown" or "known". */
const char *pal_state_name(pal_state state);
/* Whether the state has no value to read here: unset, encrypted, unknown. */
bool pal_has_no_value(pal_state state);

/* Reporting. A violation names the resource being checked; `undecided`
 * ones say that a value needed to decide cannot be read here. */

void pal_violation(pal_report *out, const char *message);
void pal_undecided(pal_report *out, const char *message);
/* A message built piece by piece: pal_begin, pal_add..., pal_end. */
void pal_begin(pal_report *out, bool undecided);
void pal_add(pal_report *out, const char *text);
void pal_add_n(pal_report *out, const char *text, size_t len);
void pal_end(pal_report *out);
/* Appends why `ref` cannot be read here to the message being built:
 * "`acl` is not set in the configuration", "`rules[0].cidr` is encrypted in
 * this export (run ...)", "`acl` is known only after apply"; nothing when it
 * is absent, null or known. */
void pal_add_reason(pal_report *out, const pal_ref *ref);
/* When `ref` is unset, encrypted or unknown: reports an undecided violation
 * with that reason and returns true; otherwise false. */
bool pal_undecided_ref(pal_report *out, const pal_ref *ref);
/* Fails the whole request (`{"error": message}`), e.g. on a bad config. */
void pal_fail(pal_report *out, const char *message);

#endif
