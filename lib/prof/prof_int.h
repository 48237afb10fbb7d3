/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Internals of the profile loader, shared by the files in lib/prof/ only.
 *
 * The loader is table-driven: each section type is a struct prof_section
 * with a table of struct prof_key (name -> parser, field offset, limits,
 * flags).  prof_load.c feeds inih one line at a time, handles section
 * headers itself and dispatches every key to its parser; a section's
 * close() runs the checks that need the whole section (required keys,
 * keys that depend on each other, overlaps with earlier sections).
 */
#ifndef EP_PROF_INT_H
#define EP_PROF_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "prof.h"

#define PROF_KEYS_MAX 32 /* keys in one section type */
#define PROF_SECTIONS_MAX (PROF_MAX_PORTS + PROF_MAX_SERVICES + 4)
#define PROF_LABEL_MAX (PROF_NAME_MAX + 24) /* "[virtual_service NAME]" */
#define PROF_FILE_MAX (1024 * 1024)	    /* largest profile prof_load() reads */
#define PROF_SUN_PATH_MAX 108		    /* sizeof(sockaddr_un.sun_path) */

/* struct prof_key flags */
#define PK_REQUIRED (1u << 0) /* the section needs this key */
#define PK_REPEAT (1u << 1)   /* may appear more than once */
#define PK_ABSPATH (1u << 2)  /* strings: must start with '/' */
#define PK_SOCKPATH (1u << 3) /* strings: must fit a UNIX socket address */
#define PK_NOSPACE (1u << 4)  /* strings: one word, no blanks */

#define PROF_FMT(a, b) __attribute__((format(printf, a, b)))

struct prof_ctx;
struct prof_key;

/* One value of an enum key as written in profiles. */
struct prof_enum_val {
	const char *name;
	unsigned int value;
};

struct prof_key {
	const char *name;
	int (*parse)(struct prof_ctx *ctx, const struct prof_key *k, void *obj, const char *val);
	size_t off;	/* the field in the section's object */
	size_t size;	/* sizeof the field */
	size_t cnt_off; /* lists: offset of the unsigned int entry count */
	uint64_t min, max;
	const struct prof_enum_val *vals; /* enums: NULL-terminated */
	unsigned int flags;
};

/* A key stored in field `f` of section object type `T`. */
#define PROF_KEY(nm, fn, T, f, ...)                                                              \
	{                                                                                        \
		.name = (nm), .parse = (fn), .off = offsetof(T, f), .size = sizeof(((T *)0)->f), \
		__VA_ARGS__                                                                      \
	}
/* A comma list in array `f` whose entry count is `n`. */
#define PROF_KEY_LIST(nm, fn, T, f, n, ...) \
	PROF_KEY(nm, fn, T, f, .cnt_off = offsetof(T, n), __VA_ARGS__)
/* A key with its own parser that knows where its value goes. */
#define PROF_KEY_FN(nm, fn, ...)                         \
	{                                                \
		.name = (nm), .parse = (fn), __VA_ARGS__ \
	}

struct prof_section {
	const char *type; /* "port", "virtual_service", ... */
	bool named;	  /* [TYPE NAME] */
	const struct prof_key *keys;
	unsigned int n_keys;
	/* Create the section's object; NULL with the error set. */
	void *(*open)(struct prof_ctx *ctx, const char *name);
	/* Checks once the section is complete (required keys already checked). */
	int (*close)(struct prof_ctx *ctx, void *obj);
};

/* A section header already seen, for duplicate detection. */
struct prof_seen {
	const struct prof_section *sect;
	char name[PROF_NAME_MAX];
	unsigned int line;
};

struct prof_ctx {
	struct prof *p;
	const char *name; /* file name for messages */
	const char *buf;  /* the profile text, not NUL-terminated */
	size_t len;
	size_t pos;  /* next line starts here */
	int bufsize; /* inih's line buffer size, from its first call */
	unsigned int lineno;
	char *err;
	size_t errlen;
	int rc; /* first error (negative errno), 0 while all is well */

	/* The open section: its type, object, header line and label. */
	const struct prof_section *sect;
	void *obj;
	unsigned int sect_line;
	char label[PROF_LABEL_MAX];
	const struct prof_key *key;	      /* key being parsed */
	unsigned int key_line[PROF_KEYS_MAX]; /* last line of each key, 0 = not set */
	unsigned int gw_line[2];	      /* [port]: `gateway =` lines, v4 and v6 */

	struct prof_seen seen[PROF_SECTIONS_MAX];
	unsigned int n_seen;
};

/* Errors: record the first one as "file:line: ..." and return -EINVAL. */
int prof_err(struct prof_ctx *ctx, unsigned int line, const char *fmt, ...) PROF_FMT(3, 4);
/* "file:line: [section] ..." */
int prof_sect_err(struct prof_ctx *ctx, unsigned int line, const char *fmt, ...) PROF_FMT(3, 4);
/* "file:line: [section] key: ..." on the line being parsed. */
int prof_key_err(struct prof_ctx *ctx, const char *fmt, ...) PROF_FMT(2, 3);
/* Line on which the open section set `key`, 0 if it did not. */
unsigned int prof_key_line(const struct prof_ctx *ctx, const char *key);
/* Same, or the section header's line when the key was not set. */
unsigned int prof_key_or_header(const struct prof_ctx *ctx, const char *key);

/* Section types (prof_sect.c, prof_service.c). */
const struct prof_section *prof_section_find(const char *type);
extern const struct prof_section prof_sect_service;
void prof_defaults(struct prof *p);
/* Index of the relay address on which r's ports overlap s's listen range, or -1. */
int prof_relay_overlap(const struct prof_media_relay *r, const struct prof_service *s);

/* Generic key parsers (prof_keys.c). */
int prof_key_str(struct prof_ctx *ctx, const struct prof_key *k, void *obj, const char *val);
int prof_key_uint(struct prof_ctx *ctx, const struct prof_key *k, void *obj, const char *val);
int prof_key_count(struct prof_ctx *ctx, const struct prof_key *k, void *obj, const char *val);
int prof_key_duration(struct prof_ctx *ctx, const struct prof_key *k, void *obj, const char *val);
int prof_key_enum(struct prof_ctx *ctx, const struct prof_key *k, void *obj, const char *val);
int prof_key_endpoint(struct prof_ctx *ctx, const struct prof_key *k, void *obj, const char *val);
int prof_key_str_add(struct prof_ctx *ctx, const struct prof_key *k, void *obj, const char *val);
int prof_key_str_list(struct prof_ctx *ctx, const struct prof_key *k, void *obj, const char *val);
int prof_key_cidr_list(struct prof_ctx *ctx, const struct prof_key *k, void *obj, const char *val);
int prof_key_endpoint_list(
	struct prof_ctx *ctx, const struct prof_key *k, void *obj, const char *val);

/* Value helpers (prof_value.c). */
int prof_parse_addr(const char *s, struct pkt_addr *a);
int prof_parse_u64(const char *s, const char **end, uint64_t *v);
int prof_parse_uint(const char *s, uint64_t *v); /* the whole string */
int prof_addr_cmp(const struct pkt_addr *a, const struct pkt_addr *b);
unsigned int prof_addr_bits(const struct pkt_addr *a); /* 32 or 128 */
const char *prof_endpoint_format(const struct prof_endpoint *ep, char *buf, size_t len);
const char *prof_duration_format(uint64_t ms, char *buf, size_t len);
const char *prof_skip_ws(const char *s);

#endif /* EP_PROF_INT_H */
