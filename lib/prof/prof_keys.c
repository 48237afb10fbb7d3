/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Generic key parsers: each reads one value and stores it in the field
 * its struct prof_key names, or reports "[section] key: problem".
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <netinet/in.h>

#include "prof.h"
#include "prof_int.h"

static void *
field(void *obj, const struct prof_key *k)
{
	return (char *)obj + k->off;
}

static unsigned int *
count_field(void *obj, const struct prof_key *k)
{
	return (unsigned int *)(void *)((char *)obj + k->cnt_off);
}

/* Store v in an unsigned integer (or enum) field of k->size bytes. */
static void
store_uint(void *dst, size_t size, uint64_t v)
{
	uint8_t u8 = (uint8_t)v;
	uint16_t u16 = (uint16_t)v;
	uint32_t u32 = (uint32_t)v;

	switch (size) {
	case sizeof(u8):
		memcpy(dst, &u8, sizeof(u8));
		break;
	case sizeof(u16):
		memcpy(dst, &u16, sizeof(u16));
		break;
	case sizeof(u32):
		memcpy(dst, &u32, sizeof(u32));
		break;
	default:
		memcpy(dst, &v, sizeof(v));
		break;
	}
}

static int
check_range(struct prof_ctx *ctx, const struct prof_key *k, const char *val, uint64_t v)
{
	if (v >= k->min && v <= k->max)
		return 0;
	if (v == 0 && k->min == 1)
		return prof_key_err(ctx, "'%s' must be greater than zero", val);
	return prof_key_err(
		ctx, "'%s' out of range (%" PRIu64 "..%" PRIu64 ")", val, k->min, k->max);
}

/* The checks the flags ask of a string value, then its length. */
static int
check_str(struct prof_ctx *ctx, const struct prof_key *k, const char *val, size_t size)
{
	size_t n = strlen(val);

	if ((k->flags & PK_ABSPATH) && val[0] != '/')
		return prof_key_err(ctx, "'%s' is not an absolute path", val);
	if ((k->flags & PK_SOCKPATH) && n >= PROF_SUN_PATH_MAX)
		return prof_key_err(ctx,
			"'%s' is too long for a UNIX socket path (max %d characters)", val,
			PROF_SUN_PATH_MAX - 1);
	if ((k->flags & PK_NOSPACE) && strpbrk(val, " \t") != NULL)
		return prof_key_err(ctx, "'%s' must not contain blanks", val);
	if (n >= size)
		return prof_key_err(ctx, "'%s' is too long (max %zu characters)", val, size - 1);
	return 0;
}

int
prof_key_str(struct prof_ctx *ctx, const struct prof_key *k, void *obj, const char *val)
{
	int rc = check_str(ctx, k, val, k->size);

	if (rc == 0)
		memcpy(field(obj, k), val, strlen(val) + 1);
	return rc;
}

int
prof_key_uint(struct prof_ctx *ctx, const struct prof_key *k, void *obj, const char *val)
{
	uint64_t v;

	if (prof_parse_uint(val, &v) != 0)
		return prof_key_err(ctx, "'%s' is not a number", val);
	if (check_range(ctx, k, val, v) != 0)
		return -EINVAL;
	store_uint(field(obj, k), k->size, v);
	return 0;
}

int
prof_key_count(struct prof_ctx *ctx, const struct prof_key *k, void *obj, const char *val)
{
	uint64_t v;

	if (prof_parse_count(val, &v) != 0)
		return prof_key_err(
			ctx, "invalid count '%s' (expected a number with optional k, M or G)", val);
	if (check_range(ctx, k, val, v) != 0)
		return -EINVAL;
	store_uint(field(obj, k), k->size, v);
	return 0;
}

int
prof_key_duration(struct prof_ctx *ctx, const struct prof_key *k, void *obj, const char *val)
{
	char lo[24], hi[24];
	uint64_t v;

	if (prof_parse_duration(val, &v) != 0)
		return prof_key_err(
			ctx, "invalid duration '%s' (expected a number with ms, s, m or h)", val);
	if (v == 0 && k->min > 0)
		return prof_key_err(ctx, "'%s' must be greater than zero", val);
	if (v < k->min || v > k->max)
		return prof_key_err(ctx, "'%s' out of range (%s..%s)", val,
			prof_duration_format(k->min, lo, sizeof(lo)),
			prof_duration_format(k->max, hi, sizeof(hi)));
	store_uint(field(obj, k), k->size, v);
	return 0;
}

int
prof_key_enum(struct prof_ctx *ctx, const struct prof_key *k, void *obj, const char *val)
{
	const struct prof_enum_val *e;
	char names[128];
	size_t n = 0;

	for (e = k->vals; e->name != NULL; e++) {
		if (strcmp(e->name, val) == 0) {
			store_uint(field(obj, k), k->size, e->value);
			return 0;
		}
	}
	names[0] = '\0';
	for (e = k->vals; e->name != NULL && n < sizeof(names); e++)
		n += (size_t)snprintf(
			names + n, sizeof(names) - n, "%s%s", e == k->vals ? "" : ", ", e->name);
	return prof_key_err(ctx, "unknown value '%s' (expected %s)", val, names);
}

/* k->min is the default protocol, k->max nonzero allows a port range. */
int
prof_key_endpoint(struct prof_ctx *ctx, const struct prof_key *k, void *obj, const char *val)
{
	struct prof_endpoint ep;

	if (prof_parse_endpoint(val, &ep, (uint8_t)k->min, k->max != 0) != 0)
		return prof_key_err(ctx,
			"invalid endpoint '%s' (expected ADDR:PORT%s[/tcp|/udp], IPv6 as "
			"[ADDR]:PORT)",
			val, k->max != 0 ? "[-PORT]" : "");
	memcpy(field(obj, k), &ep, sizeof(ep));
	return 0;
}

/* A repeated key adding one string to an array of PROF_MAX_LIST. */
int
prof_key_str_add(struct prof_ctx *ctx, const struct prof_key *k, void *obj, const char *val)
{
	unsigned int *n = count_field(obj, k);
	size_t item = k->size / PROF_MAX_LIST;

	if (*n == PROF_MAX_LIST)
		return prof_key_err(ctx, "too many entries (limit %d)", PROF_MAX_LIST);
	if (check_str(ctx, k, val, item) != 0)
		return -EINVAL;
	memcpy((char *)field(obj, k) + *n * item, val, strlen(val) + 1);
	(*n)++;
	return 0;
}

/*
 * Split a comma list into trimmed, non-empty items, at most PROF_MAX_LIST,
 * and hand each to fn.  The count is stored only once all are good.
 */
static int
split_list(struct prof_ctx *ctx, const struct prof_key *k, void *obj, const char *val,
	int (*fn)(struct prof_ctx *ctx, const struct prof_key *k, void *obj, const char *item,
		unsigned int i))
{
	char buf[PROF_LINE_MAX];
	unsigned int n = 0;
	char *item, *next, *end;

	if (strlen(val) >= sizeof(buf))
		return prof_key_err(ctx, "value too long");
	memcpy(buf, val, strlen(val) + 1);
	for (item = buf; item != NULL; item = next) {
		next = strchr(item, ',');
		if (next != NULL)
			*next++ = '\0';
		while (*item == ' ' || *item == '\t')
			item++;
		end = item + strlen(item);
		while (end > item && (end[-1] == ' ' || end[-1] == '\t'))
			*--end = '\0';
		if (*item == '\0')
			return prof_key_err(ctx, "empty item in list '%s'", val);
		if (n == PROF_MAX_LIST)
			return prof_key_err(ctx, "too many items (limit %d)", PROF_MAX_LIST);
		if (fn(ctx, k, obj, item, n) != 0)
			return -EINVAL;
		n++;
	}
	*count_field(obj, k) = n;
	return 0;
}

static int
str_item(
	struct prof_ctx *ctx, const struct prof_key *k, void *obj, const char *item, unsigned int i)
{
	size_t size = k->size / PROF_MAX_LIST;

	if (strpbrk(item, " \t") != NULL)
		return prof_key_err(ctx, "'%s' must not contain blanks", item);
	if (strlen(item) >= size)
		return prof_key_err(ctx, "'%s' is too long (max %zu characters)", item, size - 1);
	memcpy((char *)field(obj, k) + i * size, item, strlen(item) + 1);
	return 0;
}

static int
cidr_item(
	struct prof_ctx *ctx, const struct prof_key *k, void *obj, const char *item, unsigned int i)
{
	struct prof_cidr *c = (struct prof_cidr *)field(obj, k) + i;

	if (prof_parse_cidr(item, c) != 0)
		return prof_key_err(ctx, "invalid prefix '%s' (expected ADDR[/LEN])", item);
	return 0;
}

static int
endpoint_item(
	struct prof_ctx *ctx, const struct prof_key *k, void *obj, const char *item, unsigned int i)
{
	struct prof_endpoint *ep = (struct prof_endpoint *)field(obj, k) + i;

	if (prof_parse_endpoint(item, ep, (uint8_t)k->min, false) != 0)
		return prof_key_err(ctx,
			"invalid endpoint '%s' (expected ADDR:PORT[/tcp|/udp], IPv6 as "
			"[ADDR]:PORT)",
			item);
	return 0;
}

int
prof_key_str_list(struct prof_ctx *ctx, const struct prof_key *k, void *obj, const char *val)
{
	return split_list(ctx, k, obj, val, str_item);
}

int
prof_key_cidr_list(struct prof_ctx *ctx, const struct prof_key *k, void *obj, const char *val)
{
	return split_list(ctx, k, obj, val, cidr_item);
}

/* k->min is the default protocol. */
int
prof_key_endpoint_list(struct prof_ctx *ctx, const struct prof_key *k, void *obj, const char *val)
{
	return split_list(ctx, k, obj, val, endpoint_item);
}
