// libcurl's easy interface for the S3 client (Store/ObjectStorage/S3Transport.swift). curl_easy_setopt
// and curl_easy_getinfo are variadic, which Swift cannot call: these wrappers fix one argument type each.
#define CURL_DISABLE_TYPECHECK 1
#include <curl/curl.h>

static inline CURLcode tlab_curl_set_long(CURL *handle, CURLoption option, long value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode tlab_curl_set_offset(CURL *handle, CURLoption option, curl_off_t value) {
    return curl_easy_setopt(handle, option, value);
}

/// Strings (copied by libcurl), header lists, error buffers and callback data.
static inline CURLcode tlab_curl_set_pointer(CURL *handle, CURLoption option, const void *value) {
    return curl_easy_setopt(handle, option, value);
}

typedef size_t (*tlab_curl_data_callback)(char *buffer, size_t size, size_t count, void *context);
typedef int (*tlab_curl_seek_callback)(void *context, curl_off_t offset, int origin);

/// CURLOPT_WRITEFUNCTION, CURLOPT_HEADERFUNCTION and CURLOPT_READFUNCTION.
static inline CURLcode tlab_curl_set_data_callback(CURL *handle, CURLoption option, tlab_curl_data_callback callback) {
    return curl_easy_setopt(handle, option, callback);
}

static inline CURLcode tlab_curl_set_seek_callback(CURL *handle, tlab_curl_seek_callback callback) {
    return curl_easy_setopt(handle, CURLOPT_SEEKFUNCTION, callback);
}

/// The last response's HTTP status (0 before any).
static inline long tlab_curl_response_code(CURL *handle) {
    long code = 0;
    curl_easy_getinfo(handle, CURLINFO_RESPONSE_CODE, &code);
    return code;
}
