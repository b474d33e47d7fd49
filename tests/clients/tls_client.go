// A Go (crypto/tls) TLS client for certscan's tests: trusts the certificates of a PEM file only,
// connects to 127.0.0.1:PORT for NAME with Go's default settings, and prints "works" or
// "fails: " and why. Built by the tests: go build -o DIR/tls_client tls_client.go
package main

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"os"
	"time"
)

func main() {
	pem, err := os.ReadFile(os.Args[1])
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(2)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(pem)
	dialer := &net.Dialer{Timeout: 10 * time.Second}
	conn, err := tls.DialWithDialer(dialer, "tcp", "127.0.0.1:"+os.Args[2], &tls.Config{ServerName: os.Args[3], RootCAs: roots})
	if err != nil {
		fmt.Println("fails:", err)
		return
	}
	conn.Close()
	fmt.Println("works")
}
