package audiotest

import "math"

// Sine returns n samples of a sine at freq Hz and amplitude amp (1 = full scale) at rate.
func Sine(freq, amp float64, rate, n int) []float32 {
	out := make([]float32, n)
	for i := range out {
		out[i] = float32(amp * math.Sin(2*math.Pi*freq*float64(i)/float64(rate)))
	}
	return out
}

// ToneAmplitude returns the amplitude of the freq component of x (a single-bin DFT over a whole
// number of periods, which rejects other frequencies).
func ToneAmplitude(x []float32, freq float64, rate int) float64 {
	periods := math.Floor(float64(len(x)) * freq / float64(rate))
	n := int(periods * float64(rate) / freq)
	if n == 0 {
		return 0
	}
	var re, im float64
	for i, v := range x[:n] {
		ph := 2 * math.Pi * freq * float64(i) / float64(rate)
		re += float64(v) * math.Cos(ph)
		im += float64(v) * math.Sin(ph)
	}
	return 2 * math.Hypot(re, im) / float64(n)
}
