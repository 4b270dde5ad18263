# syntax=docker/dockerfile:1
# The service image: built from source, run as a non-root user, configured by environment variables.

FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
# Restore first from the project files alone, so the package layer is cached across code changes.
COPY global.json Directory.Build.props Directory.Packages.props ./
COPY src/ContactCenter.Core/ContactCenter.Core.csproj src/ContactCenter.Core/
COPY src/ContactCenter.Server/ContactCenter.Server.csproj src/ContactCenter.Server/
COPY channels/ContactCenter.Channels.Twilio/ContactCenter.Channels.Twilio.csproj channels/ContactCenter.Channels.Twilio/
COPY channels/ContactCenter.Channels.Telegram/ContactCenter.Channels.Telegram.csproj channels/ContactCenter.Channels.Telegram/
COPY channels/ContactCenter.Channels.Meta/ContactCenter.Channels.Meta.csproj channels/ContactCenter.Channels.Meta/
RUN dotnet restore src/ContactCenter.Server/ContactCenter.Server.csproj
COPY src/ src/
COPY channels/ channels/
RUN dotnet publish src/ContactCenter.Server/ContactCenter.Server.csproj -c Release -o /app --no-restore

FROM mcr.microsoft.com/dotnet/aspnet:10.0
# curl only for the container health check (GET /health/ready).
RUN apt-get update && apt-get install -y --no-install-recommends curl && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /app ./
# Everything the service reads at run time from its content root (/app): settings, flows (Flows:Path) and the
# knowledge-base seed articles (Bot:KnowledgeBase:SeedPath). Owned by root: the service only reads them.
COPY appsettings.json ./
COPY flows/ ./flows/
COPY kb/ ./kb/
ENV ASPNETCORE_ENVIRONMENT=Production \
    ASPNETCORE_HTTP_PORTS=8080
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 CMD curl -fsS http://localhost:8080/health/ready || exit 1
# The non-root user the .NET images ship (uid 1654).
USER app
ENTRYPOINT ["dotnet", "ContactCenter.Server.dll"]
