# Parley as a container: one static binary on distroless (CA certificates,
# no shell), running as a non-root user, with SQLite in the /data volume.
#
#   docker build -t parley .
#   docker run --rm -p 8080:8080 -v parley-data:/data -e PARLEY_SECRET_KEYS=… parley
#
# cmd/parley/image_test.go builds the binary exactly as the build stage
# below does (CGO_ENABLED=0 and the same flags) and runs it, so the image's
# binary is tested where no container engine is available.

FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
# No -trimpath: it would change every package's build cache key, and the
# test that builds this same binary would compile the whole tree again.
RUN CGO_ENABLED=0 go build -ldflags="-s -w -X github.com/parleyhq/parley/internal/server.Version=${VERSION}" -o /out/parley ./cmd/parley
# The volume's mount point, owned by the runtime user so SQLite can write.
RUN mkdir -p /out/data

# distroless/static: CA certificates and tzdata, a nonroot user (65532).
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/parley /usr/local/bin/parley
COPY --from=build --chown=65532:65532 /out/data /data
ENV PARLEY_LISTEN=0.0.0.0:8080 \
    PARLEY_DATA_DIR=/data
VOLUME ["/data"]
EXPOSE 8080
USER 65532:65532
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 CMD ["/usr/local/bin/parley", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/parley"]
CMD ["serve"]
