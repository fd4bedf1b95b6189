package parleytest

import (
	"time"

	"github.com/parleyhq/parley/internal/secrets"
)

func newKeyRing() (string, error) { return secrets.GenerateKey(time.Now()) }
