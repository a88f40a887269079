// Package entityauth authenticates Go programs to Hypersign's Entity Studio SSI API.
package entityauth
