// SHA-256 from the system's libcrypto (OpenSSL 3): its assembly uses SHA-NI where the CPU has it.
// HMAC-SHA256 signs S3 requests (AWS Signature Version 4).
#include <openssl/evp.h>
#include <openssl/hmac.h>
