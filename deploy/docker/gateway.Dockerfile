# A DmVoice gateway (REST, SignalR, LiveKit endpoints). Build from the repository root:
#   docker build -f deploy/docker/gateway.Dockerfile -t dmvoice-gateway .
# The base images are arguments so a mirror or a pinned digest can be used instead.
ARG SDK_IMAGE=mcr.microsoft.com/dotnet/sdk:10.0
ARG RUNTIME_IMAGE=mcr.microsoft.com/dotnet/aspnet:10.0

FROM ${SDK_IMAGE} AS build
WORKDIR /src
# Project files first: the restore layer is reused until a dependency changes.
COPY Directory.Build.props Directory.Packages.props .editorconfig ./
COPY src/Grains.Abstractions/DmVoice.Grains.Abstractions.csproj src/Grains.Abstractions/
COPY src/LiveKit/DmVoice.LiveKit.csproj src/LiveKit/
COPY src/Grains/DmVoice.Grains.csproj src/Grains/
COPY src/Gateway/DmVoice.Gateway.csproj src/Gateway/
# Built for the platform the image is for (BuildKit sets TARGETARCH: amd64, arm64).
ARG TARGETARCH
RUN dotnet restore src/Gateway/DmVoice.Gateway.csproj -a ${TARGETARCH:-amd64}
COPY src/ src/
# ReadyToRun: the app and its packages (Orleans among them) compiled ahead of time, so a new silo or
# gateway is ready sooner (a silo measured 1.3-1.9 s to ready instead of 2.5-2.7 s; docs/BENCHMARKS.md).
RUN dotnet publish src/Gateway/DmVoice.Gateway.csproj --no-restore -c Release -a ${TARGETARCH:-amd64} -p:PublishReadyToRun=true -o /app

FROM ${RUNTIME_IMAGE}
# The .NET images carry no HTTP client for HEALTHCHECK.
RUN apt-get update \
    && apt-get install -y --no-install-recommends curl \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /app ./
# Workstation GC: a process per one or two cores keeps a small heap, and the scaled-out benchmark
# found no CPU per operation to gain from server GC (docs/BENCHMARKS.md, "Where the scaled-out CPU goes").
# tests/DmVoice.TestSupport/Processes/DeployRuntime.cs runs the tests' processes the same way.
ENV DOTNET_gcServer=0
# A cluster client in Redis mode, on every interface. ASPNETCORE_HTTP_PORTS (8080 in the base image)
# is cleared: the gateway listens on Urls (API, hub, probes) and Gateway__ManagementUrls (metrics, probes) only.
ENV ASPNETCORE_HTTP_PORTS= \
    ASPNETCORE_ENVIRONMENT=Production \
    Cluster__Mode=Redis \
    Urls=http://0.0.0.0:5080 \
    Gateway__ManagementUrls=http://0.0.0.0:9464
# Public API; management (GET /metrics, /health/*): keep 9464 off the public network.
EXPOSE 5080 9464
# The non-root user the .NET images provide.
USER $APP_UID
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
    CMD ["curl", "-fsS", "-o", "/dev/null", "http://127.0.0.1:5080/health/ready"]
ENTRYPOINT ["dotnet", "DmVoice.Gateway.dll"]
