// libjpeg(-turbo) for the image-folder data sets: decoding to 8-bit RGB and encoding (test fixtures,
// sample folders, benchmarks). libjpeg reports fatal errors by calling error_exit, which must not
// return; the usual way out is longjmp. A longjmp must never cross Swift frames, so every call into
// libjpeg that can fail happens here, in C, under a setjmp, and the functions return an error code
// with the library's message instead.
#ifndef TLAB_CJPEG_SHIM_H
#define TLAB_CJPEG_SHIM_H

#include <setjmp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jpeglib.h>
#include <jerror.h>

/// Outcome of a decode or encode call.
enum {
    TLAB_JPEG_OK = 0,
    /// The data is not a valid JPEG stream (the message says what libjpeg found).
    TLAB_JPEG_CORRUPT = 1,
    /// The stream ends before the image is complete.
    TLAB_JPEG_TRUNCATED = 2,
    /// Valid, but larger than the caller's pixel limit.
    TLAB_JPEG_TOO_LARGE = 3,
    /// malloc failed.
    TLAB_JPEG_NO_MEMORY = 4,
};

typedef struct {
    struct jpeg_error_mgr manager;
    jmp_buf escape;
    /// The first message that decides the outcome: the fatal error, or the warning that means the
    /// data is damaged.
    char message[JMSG_LENGTH_MAX];
    int damaged;
    int truncated;
} tlab_jpeg_error;

static void tlab_jpeg_error_exit(j_common_ptr cinfo) {
    tlab_jpeg_error *error = (tlab_jpeg_error *)cinfo->err;
    (*cinfo->err->format_message)(cinfo, error->message);
    longjmp(error->escape, 1);
}

/// Warnings (level -1) are libjpeg's way of going on past damaged data (it fills what is missing
/// with grey). A truncated file or corrupt entropy-coded data is an error here; harmless warnings
/// (extra bytes between markers, an unknown JFIF revision, a bad ICC marker) are ignored.
static void tlab_jpeg_emit_message(j_common_ptr cinfo, int level) {
    tlab_jpeg_error *error = (tlab_jpeg_error *)cinfo->err;
    if (level != -1) return;
    int code = cinfo->err->msg_code;
    int truncated = code == JWRN_JPEG_EOF;
    int damaged = truncated || code == JWRN_HIT_MARKER || code == JWRN_HUFF_BAD_CODE
        || code == JWRN_ARITH_BAD_CODE || code == JWRN_MUST_RESYNC || code == JWRN_NOT_SEQUENTIAL
        || code == JWRN_BOGUS_PROGRESSION;
    if (!damaged || error->damaged) return;
    error->damaged = 1;
    error->truncated = truncated;
    (*cinfo->err->format_message)(cinfo, error->message);
}

static void tlab_jpeg_install_errors(tlab_jpeg_error *error, struct jpeg_error_mgr **slot) {
    memset(error, 0, sizeof(*error));
    *slot = jpeg_std_error(&error->manager);
    error->manager.error_exit = tlab_jpeg_error_exit;
    error->manager.emit_message = tlab_jpeg_emit_message;
}

/// Decodes a JPEG held in memory to 8-bit RGB, row after row, 3 bytes a pixel (grayscale repeated in
/// three channels; Adobe CMYK and YCCK converted as inverted CMYK). On success `*pixels` is a malloc'd
/// buffer the caller frees. `exif`/`exif_size` receive the first APP1 marker's payload when it is an
/// Exif block (pointer into libjpeg's copy, valid until return — so it is copied into `exif_copy`,
/// at most `exif_capacity` bytes, with the copied length in `*exif_size`). `max_pixels` bounds
/// width × height (decompression bombs). Returns a TLAB_JPEG_ code; on failure `message` (at least
/// JMSG_LENGTH_MAX bytes) says why.
static int tlab_jpeg_decode(const unsigned char *data, unsigned long size, unsigned long long max_pixels,
                            unsigned char **pixels, int *width, int *height, int *source_components,
                            unsigned char *exif_copy, size_t exif_capacity, size_t *exif_size,
                            char *message) {
    struct jpeg_decompress_struct cinfo;
    tlab_jpeg_error error;
    unsigned char *volatile out = NULL;
    volatile int status = TLAB_JPEG_OK;
    *pixels = NULL;
    *exif_size = 0;
    message[0] = 0;
    tlab_jpeg_install_errors(&error, &cinfo.err);
    if (setjmp(error.escape)) {
        strncpy(message, error.message, JMSG_LENGTH_MAX - 1);
        message[JMSG_LENGTH_MAX - 1] = 0;
        jpeg_destroy_decompress(&cinfo);
        free(out);
        return status != TLAB_JPEG_OK ? status : TLAB_JPEG_CORRUPT;
    }
    jpeg_create_decompress(&cinfo);
    jpeg_mem_src(&cinfo, data, size);
    jpeg_save_markers(&cinfo, JPEG_APP0 + 1, 0xFFFF);
    jpeg_read_header(&cinfo, TRUE);
    for (jpeg_saved_marker_ptr m = cinfo.marker_list; m; m = m->next) {
        if (m->marker == JPEG_APP0 + 1 && m->data_length >= 6 && memcmp(m->data, "Exif\0\0", 6) == 0) {
            size_t n = m->data_length - 6 < exif_capacity ? m->data_length - 6 : exif_capacity;
            memcpy(exif_copy, m->data + 6, n);
            *exif_size = n;
            break;
        }
    }
    *source_components = cinfo.num_components;
    int cmyk = cinfo.jpeg_color_space == JCS_CMYK || cinfo.jpeg_color_space == JCS_YCCK;
    cinfo.out_color_space = cmyk ? JCS_CMYK : JCS_RGB;
    if ((unsigned long long)cinfo.image_width * cinfo.image_height > max_pixels) {
        snprintf(error.message, JMSG_LENGTH_MAX, "%ux%u pixels is more than the limit of %llu",
                 cinfo.image_width, cinfo.image_height, max_pixels);
        status = TLAB_JPEG_TOO_LARGE;
        longjmp(error.escape, 1);
    }
    jpeg_start_decompress(&cinfo);
    size_t w = cinfo.output_width, h = cinfo.output_height, in_stride = w * cinfo.output_components;
    out = (unsigned char *)malloc(w * h * 3 + in_stride);
    if (!out) {
        snprintf(error.message, JMSG_LENGTH_MAX, "out of memory for %zux%zu pixels", w, h);
        status = TLAB_JPEG_NO_MEMORY;
        longjmp(error.escape, 1);
    }
    while (cinfo.output_scanline < cinfo.output_height) {
        size_t row = cinfo.output_scanline;
        // CMYK rows (4 bytes a pixel) are read into the spare row at the end, then converted.
        JSAMPROW target = cmyk ? out + w * h * 3 : out + row * w * 3;
        jpeg_read_scanlines(&cinfo, &target, 1);
        if (cmyk) {
            unsigned char *rgb = out + row * w * 3;
            for (size_t x = 0; x < w; x++) {
                // Adobe writes CMYK inverted (0 = full ink), as almost every CMYK JPEG is.
                unsigned c = target[4 * x], m = target[4 * x + 1], y = target[4 * x + 2], k = target[4 * x + 3];
                rgb[3 * x] = (unsigned char)((c * k + 127) / 255);
                rgb[3 * x + 1] = (unsigned char)((m * k + 127) / 255);
                rgb[3 * x + 2] = (unsigned char)((y * k + 127) / 255);
            }
        }
        if (error.damaged) break;
    }
    if (!error.damaged) jpeg_finish_decompress(&cinfo);
    if (error.damaged) {
        status = error.truncated ? TLAB_JPEG_TRUNCATED : TLAB_JPEG_CORRUPT;
        longjmp(error.escape, 1);
    }
    jpeg_destroy_decompress(&cinfo);
    *pixels = out;
    *width = (int)w;
    *height = (int)h;
    return TLAB_JPEG_OK;
}

/// Encodes 8-bit pixels (`components` 1 = grayscale, 3 = RGB or 4 = CMYK stored as Adobe writes it,
/// 255 meaning no ink; rows of width × components bytes) as a JPEG of `quality` (1...100), baseline
/// or `progressive`, with `exif` (a TIFF block, without the "Exif\0\0" prefix, which is added) as an
/// APP1 marker when `exif_size` > 0. On success `*output` is a malloc'd buffer of `*output_size`
/// bytes the caller frees.
static int tlab_jpeg_encode(const unsigned char *pixels, int width, int height, int components, int quality,
                            int progressive, const unsigned char *exif, size_t exif_size,
                            unsigned char **output, unsigned long *output_size, char *message) {
    struct jpeg_compress_struct cinfo;
    tlab_jpeg_error error;
    unsigned char *volatile marker = NULL;
    *output = NULL;
    *output_size = 0;
    message[0] = 0;
    tlab_jpeg_install_errors(&error, &cinfo.err);
    if (setjmp(error.escape)) {
        strncpy(message, error.message, JMSG_LENGTH_MAX - 1);
        message[JMSG_LENGTH_MAX - 1] = 0;
        jpeg_destroy_compress(&cinfo);
        free(marker);
        if (*output) { free(*output); *output = NULL; }
        return TLAB_JPEG_CORRUPT;
    }
    jpeg_create_compress(&cinfo);
    jpeg_mem_dest(&cinfo, output, output_size);
    cinfo.image_width = (JDIMENSION)width;
    cinfo.image_height = (JDIMENSION)height;
    cinfo.input_components = components;
    cinfo.in_color_space = components == 1 ? JCS_GRAYSCALE : components == 4 ? JCS_CMYK : JCS_RGB;
    jpeg_set_defaults(&cinfo);
    jpeg_set_quality(&cinfo, quality, TRUE);
    if (progressive) jpeg_simple_progression(&cinfo);
    jpeg_start_compress(&cinfo, TRUE);
    if (exif_size > 0) {
        marker = (unsigned char *)malloc(exif_size + 6);
        if (!marker) {
            snprintf(error.message, JMSG_LENGTH_MAX, "out of memory");
            longjmp(error.escape, 1);
        }
        memcpy(marker, "Exif\0\0", 6);
        memcpy(marker + 6, exif, exif_size);
        jpeg_write_marker(&cinfo, JPEG_APP0 + 1, marker, (unsigned)(exif_size + 6));
        free(marker);
        marker = NULL;
    }
    size_t stride = (size_t)width * components;
    while (cinfo.next_scanline < cinfo.image_height) {
        JSAMPROW row = (JSAMPROW)(pixels + cinfo.next_scanline * stride);
        jpeg_write_scanlines(&cinfo, &row, 1);
    }
    jpeg_finish_compress(&cinfo);
    jpeg_destroy_compress(&cinfo);
    return TLAB_JPEG_OK;
}

#endif
