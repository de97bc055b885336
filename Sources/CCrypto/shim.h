// SHA-256 from the system's libcrypto (OpenSSL 3): its assembly uses SHA-NI where the CPU has it.
#include <openssl/evp.h>
