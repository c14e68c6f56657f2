# syntax=docker/dockerfile:1
# Build stage: restore and publish the API with the SDK image.
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY global.json Directory.Build.props Directory.Packages.props RTSER.sln ./
COPY src/ src/
COPY wwwroot/ wwwroot/
COPY models/*.json models/*.onnx models/
RUN dotnet publish src/Rtser.Api/Rtser.Api.csproj -c Release -o /app --nologo

# Runtime stage: ASP.NET runtime, ffmpeg for browser formats the managed decoders do not cover,
# curl for the health check, models baked in (the publish output carries models/ and wwwroot/), running as a
# non-root user.
FROM mcr.microsoft.com/dotnet/aspnet:10.0
RUN apt-get update \
 && apt-get install -y --no-install-recommends ffmpeg curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home /app rtser \
 && mkdir -p /data && chown rtser /data
WORKDIR /app
COPY --from=build /app ./
ENV ASPNETCORE_URLS=http://0.0.0.0:8080 \
    DOTNET_RUNNING_IN_CONTAINER=true \
    Rtser__DataDirectory=/data \
    Rtser__ModelsDirectory=/app/models
USER rtser
EXPOSE 8080
VOLUME ["/data"]
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s --retries=3 \
  CMD curl -fsS http://localhost:8080/healthz || exit 1
ENTRYPOINT ["dotnet", "Rtser.Api.dll"]
