package pg

import (
	"crypto/x509"
	"encoding/pem"
	"testing"
)

func TestRDSCABundleHoldsCertificates(t *testing.T) {
	rest, n := rdsCABundle, 0
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			t.Fatalf("certificate %d: %v", n, err)
		}
		if !cert.IsCA {
			t.Errorf("certificate %d (%s) is not a CA", n, cert.Subject)
		}
		n++
	}
	if n < 10 {
		t.Errorf("got %d certificates, want the RDS root and regional CAs", n)
	}
}

func TestTLSModes(t *testing.T) {
	full, err := tlsFor("db.example.eu-west-1.rds.amazonaws.com", VerifyFull)
	if err != nil || full.InsecureSkipVerify || full.ServerName == "" || full.RootCAs == nil {
		t.Errorf("verify-full: %+v, %v; want the host name checked against the RDS CAs", full, err)
	}
	ca, err := tlsFor("reader.shop-dev.internal", VerifyCA)
	if err != nil || ca.VerifyConnection == nil {
		t.Errorf("verify-ca: %v; want the chain verified in VerifyConnection", err)
	}
}
