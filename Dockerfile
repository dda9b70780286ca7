# syntax=docker/dockerfile:1

# Build stage: a static binary, so the runtime image needs no libc.
FROM golang:1.26 AS build
WORKDIR /src

# Modules first, so editing source does not invalidate the download layer.
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download

COPY . .
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /practica ./cmd/practica

# An empty /data owned by the runtime user: Docker copies it, ownership
# included, into a fresh named volume, so the non-root process can write there.
RUN mkdir -p /out/data

# Runtime stage: distroless static has CA certificates (outgoing federation
# is HTTPS) and tzdata, but no shell, so health checks go through the binary.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /practica /practica
COPY --from=build --chown=65532:65532 /out/data /data

ENV PRACTICA_LISTEN=0.0.0.0:8080 \
    PRACTICA_DATA_DIR=/data

USER 65532:65532
VOLUME ["/data"]
EXPOSE 8080

ENTRYPOINT ["/practica"]
CMD ["serve"]
