// libpng for the image-folder data sets: decoding any PNG to 8-bit RGB and encoding (test fixtures,
// sample folders, benchmarks). libpng reports errors by longjmp to the png_jmpbuf; a longjmp must
// never cross Swift frames, so every libpng call that can fail happens here, in C, under a setjmp,
// and the functions return an error code with libpng's message instead.
#ifndef TLAB_CPNG_SHIM_H
#define TLAB_CPNG_SHIM_H

#include <setjmp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <png.h>

enum {
    TLAB_PNG_OK = 0,
    /// Not a valid PNG (bad signature, bad chunk, bad CRC, bad compressed data).
    TLAB_PNG_CORRUPT = 1,
    /// The data ends before the image (or its IEND chunk) is complete.
    TLAB_PNG_TRUNCATED = 2,
    /// Valid, but larger than the caller's pixel limit.
    TLAB_PNG_TOO_LARGE = 3,
    TLAB_PNG_NO_MEMORY = 4,
};

enum { TLAB_PNG_MESSAGE_LENGTH = 200 };

typedef struct {
    const unsigned char *data;
    size_t size;
    size_t offset;
    int truncated;
    char message[TLAB_PNG_MESSAGE_LENGTH];
} tlab_png_reader;

static void tlab_png_error(png_structp png, png_const_charp text) {
    tlab_png_reader *reader = (tlab_png_reader *)png_get_error_ptr(png);
    if (!reader->message[0]) {
        strncpy(reader->message, text, TLAB_PNG_MESSAGE_LENGTH - 1);
        reader->message[TLAB_PNG_MESSAGE_LENGTH - 1] = 0;
    }
    png_longjmp(png, 1);
}

/// Warnings (an unknown ancillary chunk, a bad sRGB profile) do not stop decoding and are dropped.
static void tlab_png_warning(png_structp png, png_const_charp text) {
    (void)png;
    (void)text;
}

static void tlab_png_read(png_structp png, png_bytep target, png_size_t length) {
    tlab_png_reader *reader = (tlab_png_reader *)png_get_io_ptr(png);
    if (length > reader->size - reader->offset) {
        reader->truncated = 1;
        png_error(png, "the file ends before the image data is complete");
    }
    memcpy(target, reader->data + reader->offset, length);
    reader->offset += length;
}

/// Decodes a PNG held in memory to 8-bit RGB, row after row, 3 bytes a pixel, whatever it holds:
/// grayscale (1, 2, 4, 8, 16 bits, repeated in three channels), palette (expanded), RGB, with or
/// without alpha (alpha and tRNS transparency dropped, the colour kept as stored, as Pillow's
/// convert("RGB") does), 16-bit samples scaled to 8 bits with rounding, interlaced or not; no gamma
/// correction. `*color_type` and `*bit_depth` receive the file's own. On success `*pixels` is a
/// malloc'd buffer the caller frees. Returns a TLAB_PNG_ code; on failure `message` (at least
/// TLAB_PNG_MESSAGE_LENGTH bytes) says why.
static int tlab_png_decode(const unsigned char *data, size_t size, unsigned long long max_pixels,
                           unsigned char **pixels, int *width, int *height, int *color_type, int *bit_depth,
                           char *message) {
    tlab_png_reader reader;
    memset(&reader, 0, sizeof(reader));
    reader.data = data;
    reader.size = size;
    *pixels = NULL;
    message[0] = 0;
    if (size < 8 || png_sig_cmp(data, 0, 8) != 0) {
        snprintf(message, TLAB_PNG_MESSAGE_LENGTH, "no PNG signature");
        return size < 8 ? TLAB_PNG_TRUNCATED : TLAB_PNG_CORRUPT;
    }
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &reader, tlab_png_error, tlab_png_warning);
    if (!png) {
        snprintf(message, TLAB_PNG_MESSAGE_LENGTH, "out of memory");
        return TLAB_PNG_NO_MEMORY;
    }
    png_infop info = png_create_info_struct(png);
    unsigned char *volatile out = NULL;
    png_bytep *volatile rows = NULL;
    volatile int status = TLAB_PNG_CORRUPT;
    if (!info || setjmp(png_jmpbuf(png))) {
        strncpy(message, reader.message[0] ? reader.message : "out of memory", TLAB_PNG_MESSAGE_LENGTH - 1);
        message[TLAB_PNG_MESSAGE_LENGTH - 1] = 0;
        png_destroy_read_struct(&png, info ? &info : NULL, NULL);
        free(out);
        free(rows);
        if (reader.truncated) return TLAB_PNG_TRUNCATED;
        return status;
    }
    png_set_read_fn(png, &reader, tlab_png_read);
    // Images as large as the caller allows; libpng's own default limit is 1,000,000 per side.
    png_set_user_limits(png, 0x7fffffff, 0x7fffffff);
    png_read_info(png, info);
    png_uint_32 w = png_get_image_width(png, info), h = png_get_image_height(png, info);
    int type = png_get_color_type(png, info), depth = png_get_bit_depth(png, info);
    *color_type = type;
    *bit_depth = depth;
    if ((unsigned long long)w * h > max_pixels) {
        snprintf(reader.message, TLAB_PNG_MESSAGE_LENGTH, "%ux%u pixels is more than the limit of %llu",
                 (unsigned)w, (unsigned)h, max_pixels);
        status = TLAB_PNG_TOO_LARGE;
        png_longjmp(png, 1);
    }
    if (type == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
    if (type == PNG_COLOR_TYPE_GRAY && depth < 8) png_set_expand_gray_1_2_4_to_8(png);
    if (depth == 16) png_set_scale_16(png);
    if (type == PNG_COLOR_TYPE_GRAY || type == PNG_COLOR_TYPE_GRAY_ALPHA) png_set_gray_to_rgb(png);
    // png_set_palette_to_rgb also turns a palette's tRNS into alpha: strip that too.
    if ((type & PNG_COLOR_MASK_ALPHA) || png_get_valid(png, info, PNG_INFO_tRNS)) png_set_strip_alpha(png);
    png_set_interlace_handling(png);
    png_read_update_info(png, info);
    size_t stride = png_get_rowbytes(png, info);
    if (stride != (size_t)w * 3) {
        snprintf(reader.message, TLAB_PNG_MESSAGE_LENGTH, "unexpected row size %zu for %u RGB pixels", stride, (unsigned)w);
        png_longjmp(png, 1);
    }
    out = (unsigned char *)malloc(stride * h + 1);
    rows = (png_bytep *)malloc(sizeof(png_bytep) * (h + 1));
    if (!out || !rows) {
        snprintf(reader.message, TLAB_PNG_MESSAGE_LENGTH, "out of memory for %ux%u pixels", (unsigned)w, (unsigned)h);
        status = TLAB_PNG_NO_MEMORY;
        png_longjmp(png, 1);
    }
    for (png_uint_32 y = 0; y < h; y++) rows[y] = out + y * stride;
    png_read_image(png, rows);
    png_read_end(png, NULL);
    png_destroy_read_struct(&png, &info, NULL);
    free(rows);
    *pixels = out;
    *width = (int)w;
    *height = (int)h;
    return TLAB_PNG_OK;
}

typedef struct {
    unsigned char *data;
    size_t size;
    size_t capacity;
    int failed;
} tlab_png_writer;

static void tlab_png_write(png_structp png, png_bytep bytes, png_size_t length) {
    tlab_png_writer *writer = (tlab_png_writer *)png_get_io_ptr(png);
    if (writer->size + length > writer->capacity) {
        size_t capacity = writer->capacity ? writer->capacity : 4096;
        while (capacity < writer->size + length) capacity *= 2;
        unsigned char *grown = (unsigned char *)realloc(writer->data, capacity);
        if (!grown) {
            writer->failed = 1;
            png_error(png, "out of memory");
        }
        writer->data = grown;
        writer->capacity = capacity;
    }
    memcpy(writer->data + writer->size, bytes, length);
    writer->size += length;
}

static void tlab_png_flush(png_structp png) { (void)png; }

/// Encodes an image as PNG. `color_type` is a PNG_COLOR_TYPE_ value and `bit_depth` 1, 2, 4, 8 or 16;
/// `rows` holds `height` rows of packed samples as the PNG stores them (16-bit samples big-endian).
/// For a palette image, `palette` holds `palette_size` RGB triples. `interlaced` writes Adam7.
/// On success `*output` is a malloc'd buffer of `*output_size` bytes the caller frees.
static int tlab_png_encode(const unsigned char *samples, size_t row_bytes, int width, int height,
                           int color_type, int bit_depth, const unsigned char *palette, int palette_size,
                           int interlaced, unsigned char **output, size_t *output_size, char *message) {
    tlab_png_reader errors;
    memset(&errors, 0, sizeof(errors));
    tlab_png_writer writer;
    memset(&writer, 0, sizeof(writer));
    *output = NULL;
    *output_size = 0;
    message[0] = 0;
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &errors, tlab_png_error, tlab_png_warning);
    if (!png) {
        snprintf(message, TLAB_PNG_MESSAGE_LENGTH, "out of memory");
        return TLAB_PNG_NO_MEMORY;
    }
    png_infop info = png_create_info_struct(png);
    png_bytep *volatile rows = NULL;
    if (!info || setjmp(png_jmpbuf(png))) {
        strncpy(message, errors.message[0] ? errors.message : "out of memory", TLAB_PNG_MESSAGE_LENGTH - 1);
        message[TLAB_PNG_MESSAGE_LENGTH - 1] = 0;
        png_destroy_write_struct(&png, info ? &info : NULL);
        free(rows);
        free(writer.data);
        return TLAB_PNG_CORRUPT;
    }
    png_set_write_fn(png, &writer, tlab_png_write, tlab_png_flush);
    png_set_IHDR(png, info, (png_uint_32)width, (png_uint_32)height, bit_depth, color_type,
                 interlaced ? PNG_INTERLACE_ADAM7 : PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
                 PNG_FILTER_TYPE_DEFAULT);
    if (color_type == PNG_COLOR_TYPE_PALETTE) {
        png_color entries[256];
        for (int i = 0; i < palette_size && i < 256; i++) {
            entries[i].red = palette[3 * i];
            entries[i].green = palette[3 * i + 1];
            entries[i].blue = palette[3 * i + 2];
        }
        png_set_PLTE(png, info, entries, palette_size);
    }
    rows = (png_bytep *)malloc(sizeof(png_bytep) * ((size_t)height + 1));
    if (!rows) png_error(png, "out of memory");
    for (int y = 0; y < height; y++) rows[y] = (png_bytep)(samples + (size_t)y * row_bytes);
    png_set_rows(png, info, rows);
    png_write_png(png, info, PNG_TRANSFORM_IDENTITY, NULL);
    png_destroy_write_struct(&png, &info);
    free(rows);
    *output = writer.data;
    *output_size = writer.size;
    return TLAB_PNG_OK;
}

#endif
