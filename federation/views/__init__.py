"""Federation's pages: the sign-in through the provider (`sign_in`) and the fragments of
identities' user and group pages that show bindings and group claim rules (`fragments`)."""
