package aec

// fracDelay finds the delay (in samples, fractional) of ref inside sig over [from, from+n).
func fracDelay(sig, ref []float32, from, n, maxLag int) (float64, float64) {
	best, bl := -1e30, 0
	cs := make([]float64, maxLag+1)
	for l := 0; l <= maxLag; l++ {
		var c, e float64
		for i := from; i < from+n && i < len(sig); i++ {
			if i-l < 0 || i-l >= len(ref) {
				continue
			}
			c += float64(sig[i]) * float64(ref[i-l])
			e += float64(ref[i-l]) * float64(ref[i-l])
		}
		if e > 0 {
			c /= e
		}
		cs[l] = c
		if c > best {
			best, bl = c, l
		}
	}
	if bl == 0 || bl == maxLag {
		return float64(bl), best
	}
	a, b, c := cs[bl-1], cs[bl], cs[bl+1]
	return float64(bl) + 0.5*(a-c)/(a-2*b+c), best
}
