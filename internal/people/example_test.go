package people_test

import (
	"fmt"
	"net/http"

	"github.com/parleyhq/parley/internal/people"
	"github.com/parleyhq/parley/internal/store"
)

// Another handler (say, an OAuth consent page) asks who is signed in, and
// sends anyone else to the sign-in page and back.
func ExamplePeople_Require() {
	var st store.Store // the server's store
	ppl := people.New(people.Config{Store: st, PublicURL: "https://parley.example"})
	mux := http.NewServeMux()
	ppl.Register(mux) // the sign-in pages under /app
	mux.Handle("GET /oauth/authorize", ppl.Require(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		who, _ := people.FromContext(r.Context())
		// A form posting back here carries people.CSRFToken(r.Context())
		// in the field people.CSRFField; Require checks it.
		fmt.Fprintf(w, "Allow access to %s's organisation %s?", who.Email, who.OrgID)
	})))
	fmt.Println(ppl.SignInURL("/oauth/authorize?client_id=x"))
	// Output: /app/signin?next=%2Foauth%2Fauthorize%3Fclient_id%3Dx
}
