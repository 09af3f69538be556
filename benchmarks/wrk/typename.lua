-- POST { __typename }: the cost of the HTTP and GraphQL layers alone, one fixed request.
dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "common.lua")

expect = '"__typename":"Query"'
wrk.body = graphql("typename", "{}")
