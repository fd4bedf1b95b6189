package service

import (
	"github.com/parleyhq/parley/apitype"
	"github.com/parleyhq/parley/internal/domain"
)

// The public shapes live in apitype, which imports nothing of Parley's; the
// names here let the transports keep saying service.X for what they pass
// to and get from operations.
type (
	Conversation      = apitype.Conversation
	Message           = apitype.Message
	SendInput         = apitype.SendInput
	MessageEvent      = apitype.MessageEvent
	Brand             = apitype.Brand
	BrandInput        = apitype.BrandInput
	Account           = apitype.Account
	AccountInput      = apitype.AccountInput
	AccountUpdate     = apitype.AccountUpdate
	APIKey            = apitype.APIKey
	CreateAPIKeyInput = apitype.CreateAPIKeyInput
	AccountFailure    = apitype.AccountFailure
	WebhookEndpoint   = apitype.WebhookEndpoint
	WebhookInput      = apitype.WebhookInput
	EventView         = apitype.EventView
	DeliveryAttempt   = apitype.DeliveryAttempt
	PlatformInfo      = apitype.PlatformInfo
	Limit             = apitype.Limit
)

// What every capability shares lives in domain; these names keep it
// service.X for the transports.
type (
	Caller      = domain.Caller
	PageRequest = domain.PageRequest
	List[T any] = domain.List[T]
)
