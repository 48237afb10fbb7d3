/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The profile loader: feeds a profile to inih one line at a time and
 * turns each key into typed settings.
 *
 * Debian's libinih (r55) has a 200-byte line buffer, no line numbers for
 * the handler, and treats indented lines as continuations.  So the reader
 * here counts lines itself, hands inih exactly one line per call (without
 * its newline), refuses long, indented and binary lines, and handles
 * section headers itself; inih splits "key = value" and strips inline
 * " ; comments".  Every error is one line, "file:line: problem", and the
 * first one wins: once it is recorded the reader reports end of input.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ini.h>

#include "prof.h"
#include "prof_int.h"

/* ---- errors ---- */

static int verr(struct prof_ctx *ctx, unsigned int line, const char *prefix, const char *fmt,
	va_list ap) PROF_FMT(4, 0);

static int
verr(struct prof_ctx *ctx, unsigned int line, const char *prefix, const char *fmt, va_list ap)
{
	int n;

	if (ctx->rc != 0)
		return -EINVAL;
	ctx->rc = -EINVAL;
	if (ctx->err == NULL || ctx->errlen == 0)
		return -EINVAL;
	n = snprintf(ctx->err, ctx->errlen, "%s:%u: %s", ctx->name, line, prefix);
	if (n >= 0 && (size_t)n < ctx->errlen)
		vsnprintf(ctx->err + n, ctx->errlen - (size_t)n, fmt, ap);
	return -EINVAL;
}

int
prof_err(struct prof_ctx *ctx, unsigned int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verr(ctx, line, "", fmt, ap);
	va_end(ap);
	return -EINVAL;
}

int
prof_sect_err(struct prof_ctx *ctx, unsigned int line, const char *fmt, ...)
{
	char prefix[PROF_LABEL_MAX + 1];
	va_list ap;

	snprintf(prefix, sizeof(prefix), "%s ", ctx->label);
	va_start(ap, fmt);
	verr(ctx, line, prefix, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

int
prof_key_err(struct prof_ctx *ctx, const char *fmt, ...)
{
	char prefix[PROF_LABEL_MAX + PROF_LINE_MAX];
	va_list ap;

	snprintf(prefix, sizeof(prefix), "%s %s: ", ctx->label, ctx->key->name);
	va_start(ap, fmt);
	verr(ctx, ctx->lineno, prefix, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* A plain message with no line ("file: problem") and a given errno. */
static int
file_err(char *err, size_t errlen, int rc, const char *name, const char *what, int e)
{
	if (err != NULL && errlen > 0)
		snprintf(err, errlen, "%s: %s: %s", name, what, strerror(e));
	return rc;
}

/* ---- sections ---- */

unsigned int
prof_key_line(const struct prof_ctx *ctx, const char *key)
{
	unsigned int i;

	for (i = 0; ctx->sect != NULL && i < ctx->sect->n_keys; i++)
		if (strcmp(ctx->sect->keys[i].name, key) == 0)
			return ctx->key_line[i];
	return 0;
}

unsigned int
prof_key_or_header(const struct prof_ctx *ctx, const char *key)
{
	unsigned int line = prof_key_line(ctx, key);

	return line != 0 ? line : ctx->sect_line;
}

/* Required keys, then the section's own checks. */
static int
section_close(struct prof_ctx *ctx)
{
	const struct prof_section *s = ctx->sect;
	unsigned int i;

	if (s == NULL)
		return 0;
	for (i = 0; i < s->n_keys; i++)
		if ((s->keys[i].flags & PK_REQUIRED) && ctx->key_line[i] == 0)
			return prof_sect_err(
				ctx, ctx->sect_line, "missing required key '%s'", s->keys[i].name);
	if (s->close != NULL && s->close(ctx, ctx->obj) != 0)
		return -EINVAL;
	ctx->sect = NULL;
	ctx->obj = NULL;
	return 0;
}

static bool
valid_name(const char *name)
{
	size_t n = strspn(name,
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		"0123456789_.-");

	return n > 0 && name[n] == '\0' && n < PROF_NAME_MAX;
}

static int
section_open(struct prof_ctx *ctx, const struct prof_section *s, const char *name)
{
	struct prof_seen *seen;
	unsigned int i;

	for (i = 0; i < ctx->n_seen; i++) {
		seen = &ctx->seen[i];
		if (seen->sect == s && strcmp(seen->name, name) == 0)
			return prof_err(ctx, ctx->lineno,
				"duplicate section [%s%s%s] (first on line %u)", s->type,
				*name != '\0' ? " " : "", name, seen->line);
	}
	if (*name != '\0')
		snprintf(ctx->label, sizeof(ctx->label), "[%s %s]", s->type, name);
	else
		snprintf(ctx->label, sizeof(ctx->label), "[%s]", s->type);
	ctx->sect_line = ctx->lineno;
	memset(ctx->key_line, 0, sizeof(ctx->key_line));
	memset(ctx->gw_line, 0, sizeof(ctx->gw_line));
	ctx->obj = s->open(ctx, name);
	if (ctx->obj == NULL)
		return -EINVAL;
	ctx->sect = s;
	seen = &ctx->seen[ctx->n_seen++];
	seen->sect = s;
	snprintf(seen->name, sizeof(seen->name), "%s", name);
	seen->line = ctx->lineno;
	return 0;
}

/* Split "TYPE" or "TYPE NAME" (in place) and open the section. */
static int
section_header(struct prof_ctx *ctx, char *hdr)
{
	const struct prof_section *s;
	char *type, *name, *end;

	type = hdr + strspn(hdr, " \t");
	end = type + strcspn(type, " \t");
	name = end + strspn(end, " \t");
	*end = '\0';
	end = name + strcspn(name, " \t");
	if (end[strspn(end, " \t")] != '\0')
		return prof_err(
			ctx, ctx->lineno, "bad section header (expected [TYPE] or [TYPE NAME])");
	*end = '\0';
	s = prof_section_find(type);
	if (s == NULL)
		return prof_err(ctx, ctx->lineno,
			"unknown section [%s] (expected dataplane, port, virtual_service, "
			"media_relay, sip_edge or control)",
			type);
	if (s->named && *name == '\0')
		return prof_err(
			ctx, ctx->lineno, "section [%s] needs a name: [%s NAME]", type, type);
	if (!s->named && *name != '\0')
		return prof_err(ctx, ctx->lineno, "section [%s] takes no name", type);
	if (s->named && !valid_name(name))
		return prof_err(ctx, ctx->lineno,
			"bad name '%s' in [%s] (1 to %d of A-Z a-z 0-9 _ . -)", name, type,
			PROF_NAME_MAX - 1);
	return section_open(ctx, s, name);
}

/* A "[...]" line: close the open section, then open the new one. */
static int
header_line(struct prof_ctx *ctx, char *line)
{
	char *close = strchr(line, ']');
	const char *tail;

	if (section_close(ctx) != 0)
		return -EINVAL;
	if (close == NULL)
		return prof_err(ctx, ctx->lineno, "syntax error: section header without ']'");
	tail = prof_skip_ws(close + 1);
	if (*tail != '\0' && !((*tail == ';' || *tail == '#') && tail > close + 1))
		return prof_err(ctx, ctx->lineno, "syntax error: text after section header");
	*close = '\0';
	return section_header(ctx, line + 1);
}

/* ---- the reader inih calls ---- */

/* What inih accepts as "name = value": '=' before any ':' or " ;" comment. */
static int
check_key_line(struct prof_ctx *ctx, const char *line)
{
	bool was_space = false;
	const char *p;

	for (p = line; *p != '\0'; p++) {
		if (*p == '=' && p > line)
			return 0;
		if (*p == '=' || *p == ':' || (was_space && *p == ';'))
			break;
		was_space = *p == ' ' || *p == '\t';
	}
	return prof_err(ctx, ctx->lineno, "syntax error: expected 'key = value'");
}

/* Refuse bytes inih would mangle: NUL and control characters but tab. */
static int
check_bytes(struct prof_ctx *ctx, const char *line, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)line[i];

		if (c == '\0')
			return prof_err(ctx, ctx->lineno, "NUL byte in line");
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return prof_err(ctx, ctx->lineno, "control character 0x%02x in line", c);
	}
	return 0;
}

/*
 * Decide what inih sees of a line (copied into s): key lines as they are,
 * comments and blank lines as they are, section headers as an empty line
 * (handled here), indented lines refused.
 */
static int
classify_line(struct prof_ctx *ctx, char *s)
{
	const char *p;

	if (*s == ' ' || *s == '\t') {
		p = prof_skip_ws(s);
		if (*p != '\0' && *p != ';' && *p != '#')
			return prof_err(ctx, ctx->lineno,
				"indented line (continuation lines are not supported)");
		s[0] = '\0';
		return 0;
	}
	if (*s == '\0' || *s == ';' || *s == '#')
		return 0;
	if (*s == '[') {
		int rc = header_line(ctx, s);

		s[0] = '\0';
		return rc;
	}
	return check_key_line(ctx, s);
}

static char *
prof_reader(char *str, int num, void *stream)
{
	struct prof_ctx *ctx = stream;
	const char *line, *eol;
	size_t n;

	if (ctx->rc != 0 || ctx->pos >= ctx->len)
		return NULL;
	if (ctx->bufsize == 0)
		ctx->bufsize = num;
	/* A smaller buffer is inih draining an over-long line: ours never are. */
	if (num != ctx->bufsize)
		return NULL;
	if (num < PROF_LINE_MAX) {
		prof_err(ctx, ctx->lineno + 1, "inih line buffer too small (%d bytes)", num);
		return NULL;
	}
	line = ctx->buf + ctx->pos;
	eol = memchr(line, '\n', ctx->len - ctx->pos);
	n = eol != NULL ? (size_t)(eol - line) : ctx->len - ctx->pos;
	ctx->pos += n + (eol != NULL);
	ctx->lineno++;
	if (n > 0 && line[n - 1] == '\r')
		n--;
	if (ctx->lineno == 1 && n >= 3 && memcmp(line, "\xef\xbb\xbf", 3) == 0) {
		line += 3;
		n -= 3;
	}
	if (n > PROF_LINE_MAX - 1) {
		prof_err(ctx, ctx->lineno, "line longer than %d characters", PROF_LINE_MAX - 1);
		return NULL;
	}
	if (check_bytes(ctx, line, n) != 0)
		return NULL;
	memcpy(str, line, n);
	str[n] = '\0';
	if (classify_line(ctx, str) != 0)
		return NULL;
	return str;
}

/* inih's handler: one "key = value" of the open section. */
static int
prof_handler(void *user, const char *section, const char *name, const char *value)
{
	struct prof_ctx *ctx = user;
	const struct prof_section *s = ctx->sect;
	unsigned int i;

	if (ctx->rc != 0)
		return 0;
	if (s == NULL)
		return prof_err(ctx, ctx->lineno, "key '%s' outside of any section", name) == 0;
	for (i = 0; i < s->n_keys; i++)
		if (strcmp(s->keys[i].name, name) == 0)
			break;
	if (i == s->n_keys)
		return prof_sect_err(ctx, ctx->lineno, "unknown key '%s'", name) == 0;
	ctx->key = &s->keys[i];
	if (ctx->key_line[i] != 0 && !(ctx->key->flags & PK_REPEAT))
		return prof_key_err(
			       ctx, "duplicate key (first set on line %u)", ctx->key_line[i]) == 0;
	ctx->key_line[i] = ctx->lineno;
	if (*value == '\0')
		return prof_key_err(ctx, "missing value") == 0;
	return ctx->key->parse(ctx, ctx->key, ctx->obj, value) == 0;
}

/* ---- entry points ---- */

static int
parse(struct prof_ctx *ctx)
{
	int rc = ini_parse_stream(prof_reader, ctx, prof_handler, ctx);

	/* Only inih's own syntax errors are not recorded yet. */
	if (ctx->rc == 0 && rc > 0)
		prof_err(ctx, (unsigned int)rc, "syntax error: expected 'key = value'");
	else if (ctx->rc == 0 && rc < 0)
		prof_err(ctx, ctx->lineno, "inih failed (%d)", rc);
	if (ctx->rc == 0)
		section_close(ctx);
	return ctx->rc;
}

int
prof_load_buf(
	const char *name, const char *buf, size_t len, struct prof **out, char *err, size_t errlen)
{
	struct prof_ctx *ctx;
	struct prof *p;
	int rc;

	if (name == NULL)
		name = "profile";
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (out == NULL || (buf == NULL && len > 0))
		return file_err(err, errlen, -EINVAL, name, "cannot load", EINVAL);
	*out = NULL;
	p = calloc(1, sizeof(*p));
	ctx = calloc(1, sizeof(*ctx));
	if (p == NULL || ctx == NULL) {
		free(p);
		free(ctx);
		return file_err(err, errlen, -ENOMEM, name, "cannot load", ENOMEM);
	}
	snprintf(p->file, sizeof(p->file), "%s", name);
	prof_defaults(p);
	ctx->p = p;
	ctx->name = name;
	ctx->buf = buf;
	ctx->len = len;
	ctx->err = err;
	ctx->errlen = errlen;
	rc = parse(ctx);
	free(ctx);
	if (rc != 0) {
		free(p);
		return rc;
	}
	*out = p;
	return 0;
}

/* Read a whole file (at most PROF_FILE_MAX bytes) into a new buffer. */
static int
read_file(const char *path, char **bufp, size_t *lenp, char *err, size_t errlen)
{
	size_t len = 0, cap = 4096;
	char *buf = NULL, *nbuf;
	int fd, e = 0;
	ssize_t n;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		e = errno;
		return file_err(err, errlen, -e, path, "cannot open", e);
	}
	for (;;) {
		if (len == cap || buf == NULL) {
			cap = buf == NULL ? cap : cap * 2;
			nbuf = realloc(buf, cap);
			if (nbuf == NULL) {
				e = ENOMEM;
				break;
			}
			buf = nbuf;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			e = errno;
		if (n <= 0)
			break;
		len += (size_t)n;
		if (len > PROF_FILE_MAX) {
			e = EFBIG;
			break;
		}
	}
	close(fd);
	if (e != 0) {
		free(buf);
		return file_err(err, errlen, -e, path, "cannot read", e);
	}
	*bufp = buf;
	*lenp = len;
	return 0;
}

int
prof_load(const char *path, struct prof **out, char *err, size_t errlen)
{
	size_t len = 0;
	char *buf = NULL;
	int rc;

	if (out != NULL)
		*out = NULL;
	if (path == NULL || out == NULL)
		return file_err(err, errlen, -EINVAL, path != NULL ? path : "profile",
			"cannot load", EINVAL);
	rc = read_file(path, &buf, &len, err, errlen);
	if (rc != 0)
		return rc;
	rc = prof_load_buf(path, buf, len, out, err, errlen);
	free(buf);
	return rc;
}

void
prof_free(struct prof *p)
{
	free(p);
}
