/*
 * print.c - a small printf: %s %c %d %i %u %x %X %p %%, with l, ll, z, a width,
 * 0 padding and - (left-justify). Output goes through a sink so the same code serves the console and
 * bm_snprintf.
 */
#include "bm.h"

struct sink {
    void (*put)(struct sink *s, char c);
    char *buf;
    size_t len, pos;
};

static void put_console(struct sink *s, char c)
{
    (void)s;
    bm_putc(c);
}

static void put_buffer(struct sink *s, char c)
{
    if (s->pos + 1 < s->len)
        s->buf[s->pos] = c;
    s->pos++;
}

static void put_number(struct sink *s, uint64_t v, unsigned base, int upper, int negative,
                       unsigned width, char pad, int left)
{
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    char tmp[24];
    unsigned n = 0;
    do {
        tmp[n++] = digits[v % base];
        v /= base;
    } while (v);
    unsigned len = n + (negative ? 1 : 0);
    if (negative && (pad == '0' || left))
        s->put(s, '-');
    if (!left)
        for (; len < width; len++)
            s->put(s, pad);
    if (negative && pad != '0' && !left)
        s->put(s, '-');
    while (n)
        s->put(s, tmp[--n]);
    if (left)
        for (; len < width; len++)
            s->put(s, ' ');
}

static void format(struct sink *s, const char *fmt, va_list ap)
{
    for (; *fmt; fmt++) {
        if (*fmt != '%') {
            s->put(s, *fmt);
            continue;
        }
        fmt++;
        char pad = ' ';
        unsigned width = 0;
        int longs = 0, left = 0;
        for (;; fmt++) {
            if (*fmt == '0')
                pad = '0';
            else if (*fmt == '-')
                left = 1;
            else
                break;
        }
        while (*fmt >= '0' && *fmt <= '9')
            width = width * 10 + (unsigned)(*fmt++ - '0');
        while (*fmt == 'l' || *fmt == 'z') {
            longs = *fmt == 'z' ? 2 : longs + 1;
            fmt++;
        }
        switch (*fmt) {
        case 'd':
        case 'i': {
            int64_t v = longs ? va_arg(ap, int64_t) : va_arg(ap, int);
            put_number(s, v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v, 10, 0, v < 0, width,
                       pad, left);
            break;
        }
        case 'u':
        case 'x':
        case 'X': {
            uint64_t v = longs ? va_arg(ap, uint64_t) : va_arg(ap, unsigned);
            put_number(s, v, *fmt == 'u' ? 10 : 16, *fmt == 'X', 0, width, pad, left);
            break;
        }
        case 'p':
            s->put(s, '0');
            s->put(s, 'x');
            put_number(s, (uintptr_t)va_arg(ap, void *), 16, 0, 0, width, pad, left);
            break;
        case 'c':
            s->put(s, (char)va_arg(ap, int));
            break;
        case 's': {
            const char *str = va_arg(ap, const char *);
            unsigned n = 0;
            if (!str)
                str = "(null)";
            for (const char *p = str; *p; p++)
                n++;
            if (!left)
                for (; n < width; n++)
                    s->put(s, ' ');
            while (*str)
                s->put(s, *str++);
            for (; n < width; n++)
                s->put(s, ' ');
            break;
        }
        case '%':
            s->put(s, '%');
            break;
        case '\0':
            return;
        default:
            s->put(s, '%');
            s->put(s, *fmt);
            break;
        }
    }
}

void bm_vprintf(const char *fmt, va_list ap)
{
    struct sink s = {put_console, NULL, 0, 0};
    format(&s, fmt, ap);
}

void bm_printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    bm_vprintf(fmt, ap);
    va_end(ap);
}

size_t bm_vsnprintf(char *buf, size_t len, const char *fmt, va_list ap)
{
    struct sink s = {put_buffer, buf, len, 0};
    format(&s, fmt, ap);
    if (len)
        buf[s.pos < len ? s.pos : len - 1] = '\0';
    return s.pos;
}

size_t bm_snprintf(char *buf, size_t len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    size_t n = bm_vsnprintf(buf, len, fmt, ap);
    va_end(ap);
    return n;
}
