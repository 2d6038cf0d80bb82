# A DmVoice silo. Build from the repository root:
#   docker build -f deploy/docker/silo.Dockerfile -t dmvoice-silo .
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
COPY src/Silo/DmVoice.Silo.csproj src/Silo/
# Built for the platform the image is for (BuildKit sets TARGETARCH: amd64, arm64).
ARG TARGETARCH
RUN dotnet restore src/Silo/DmVoice.Silo.csproj -a ${TARGETARCH:-amd64}
COPY src/ src/
# ReadyToRun: the app and its packages (Orleans among them) compiled ahead of time, so a new silo or
# gateway is ready sooner (a silo measured 1.3-1.9 s to ready instead of 2.5-2.7 s; docs/BENCHMARKS.md).
RUN dotnet publish src/Silo/DmVoice.Silo.csproj --no-restore -c Release -a ${TARGETARCH:-amd64} -p:PublishReadyToRun=true -o /app

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
# Redis mode on every interface; the management port as in README's defaults. ASPNETCORE_HTTP_PORTS
# (8080 in the base image) is cleared: the silo listens on Silo__ManagementUrls only.
ENV ASPNETCORE_HTTP_PORTS= \
    DOTNET_ENVIRONMENT=Production \
    Cluster__Mode=Redis \
    Silo__ManagementUrls=http://0.0.0.0:8081
# Silo-to-silo, gateway (Orleans clients), management (health, metrics).
EXPOSE 11111 30000 8081
# The non-root user the .NET images provide.
USER $APP_UID
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s --retries=3 \
    CMD ["curl", "-fsS", "-o", "/dev/null", "http://127.0.0.1:8081/health/ready"]
ENTRYPOINT ["dotnet", "DmVoice.Silo.dll"]
