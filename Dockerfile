# Builds the one hookflow binary; the same image runs `api`, `worker` or `serve`.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X github.com/hookflow/hookflow.Version=${VERSION}" -o /out/hookflow ./cmd/hookflow

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/hookflow /usr/local/bin/hookflow
USER nonroot:nonroot
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/hookflow"]
CMD ["serve"]
