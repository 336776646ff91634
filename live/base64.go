package live

import "encoding/base64"

func base64Len(n int) int { return base64.StdEncoding.EncodedLen(n) }

func appendBase64(dst, src []byte) []byte { return base64.StdEncoding.AppendEncode(dst, src) }
