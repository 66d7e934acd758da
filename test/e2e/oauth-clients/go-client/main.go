// Gets a tokenvend token with golang.org/x/oauth2/clientcredentials, configured and nothing more.
// Run by test/e2e/oauth-clients.test.ts; the README's Go snippet is this program.
package main

import (
	"context"
	"fmt"
	"os"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

func main() {
	config := clientcredentials.Config{
		ClientID:     os.Getenv("TOKENVEND_CLIENT_ID"),
		ClientSecret: os.Getenv("TOKENVEND_CLIENT_SECRET"),
		TokenURL:     os.Getenv("TOKENVEND_URL") + "/oauth/token",
		Scopes:       []string{"org:" + os.Getenv("TOKENVEND_ORG")},
		AuthStyle:    oauth2.AuthStyleInHeader, // client_secret_basic
	}
	token, err := config.Token(context.Background())
	if err != nil {
		// A refusal arrives as *oauth2.RetrieveError, carrying the RFC 6749 error code.
		if refused, ok := err.(*oauth2.RetrieveError); ok {
			fmt.Fprintf(os.Stderr, "refused: %d %s\n", refused.Response.StatusCode, refused.Body)
		} else {
			fmt.Fprintln(os.Stderr, err)
		}
		os.Exit(1)
	}
	fmt.Println(token.AccessToken)
}
