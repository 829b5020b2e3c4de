{{/* Names ---------------------------------------------------------------------------------------------------- */}}

{{- define "qwm.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "qwm.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* <fullname>-<service>; args: (dict "root" $ "svc" "encoder") */}}
{{- define "qwm.svcName" -}}
{{- printf "%s-%s" (include "qwm.fullname" .root) .svc | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "qwm.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "qwm.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* Labels --------------------------------------------------------------------------------------------------- */}}

{{- define "qwm.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/name: {{ include "qwm.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: qwm
{{- end -}}

{{/* args: (dict "root" $ "svc" "encoder") */}}
{{- define "qwm.componentLabels" -}}
{{ include "qwm.labels" .root }}
app.kubernetes.io/component: {{ .svc }}
{{- end -}}

{{- define "qwm.selectorLabels" -}}
app.kubernetes.io/name: {{ include "qwm.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .svc }}
{{- end -}}

{{/* Infrastructure addresses ----------------------------------------------------------------------------------- */}}

{{- define "qwm.kafkaBootstrap" -}}
{{- if .Values.kafka.bootstrapServers -}}
{{- .Values.kafka.bootstrapServers -}}
{{- else -}}
{{- $ns := default .Release.Namespace .Values.kafka.strimzi.namespace -}}
{{- printf "%s-kafka-bootstrap.%s.svc:%d" .Values.kafka.strimzi.clusterName $ns (int .Values.kafka.strimzi.port) -}}
{{- end -}}
{{- end -}}

{{- define "qwm.topicsNamespace" -}}
{{- default (default .Release.Namespace .Values.kafka.strimzi.namespace) .Values.kafka.topics.namespace -}}
{{- end -}}

{{- define "qwm.postgresHost" -}}
{{- if .Values.postgresql.host -}}
{{- .Values.postgresql.host -}}
{{- else -}}
{{- $ns := default .Release.Namespace .Values.postgresql.cnpg.namespace -}}
{{- printf "%s-rw.%s.svc" .Values.postgresql.cnpg.clusterName $ns -}}
{{- end -}}
{{- end -}}

{{- define "qwm.jdbcUrl" -}}
{{- $url := printf "jdbc:postgresql://%s:%d/%s" (include "qwm.postgresHost" .) (int .Values.postgresql.port) .Values.postgresql.database -}}
{{- if .Values.postgresql.jdbcParameters -}}
{{- printf "%s?%s" $url .Values.postgresql.jdbcParameters -}}
{{- else -}}
{{- $url -}}
{{- end -}}
{{- end -}}

{{/* The secret with the database credentials: the chart's own, an explicit one, or CNPG's <cluster>-app. */}}
{{- define "qwm.dbSecretName" -}}
{{- if .Values.postgresql.auth.createSecret -}}
{{- printf "%s-db" (include "qwm.fullname" .) -}}
{{- else -}}
{{- default (printf "%s-app" .Values.postgresql.cnpg.clusterName) .Values.postgresql.existingSecret -}}
{{- end -}}
{{- end -}}

{{/* The Secrets of the services' TLS certificate and bearer token: named ones, or the chart's own. */}}
{{- define "qwm.tlsSecretName" -}}
{{- default (printf "%s-tls" (include "qwm.fullname" .)) .Values.security.tls.existingSecret -}}
{{- end -}}

{{- define "qwm.tokenSecretName" -}}
{{- default (printf "%s-token" (include "qwm.fullname" .)) .Values.security.auth.existingSecret -}}
{{- end -}}

{{/* Where a service finds the TLS Secret's files. */}}
{{- define "qwm.tlsPath" -}}/etc/qwm/tls{{- end -}}

{{- define "qwm.pushtDataset" -}}
{{- printf "%s/%s" (trimSuffix "/" .Values.artifacts.mountPath) (trimPrefix "/" .Values.artifacts.pushtDataset) -}}
{{- end -}}

{{- define "qwm.artifactsClaim" -}}
{{- default (printf "%s-artifacts" (include "qwm.fullname" .)) .Values.artifacts.persistence.existingClaim -}}
{{- end -}}

{{/* Configuration ------------------------------------------------------------------------------------------- */}}

{{/* A Quarkus property name as the environment variable that overrides it (SmallRye Config's rule: every
     character other than a letter or digit becomes "_", then upper case): quarkus.http.port -> QUARKUS_HTTP_PORT. */}}
{{- define "qwm.envName" -}}
{{- regexReplaceAll "[^A-Za-z0-9]" . "_" | upper -}}
{{- end -}}

{{/* A map of Quarkus properties as ConfigMap/Secret data keyed by their environment names; args: the map. */}}
{{- define "qwm.envData" -}}
{{- range $key, $value := . }}
{{- if ne (toString $value) "" }}
{{ include "qwm.envName" $key }}: {{ toString $value | quote }}
{{- end }}
{{- end }}
{{- end -}}

{{/* Kafka client properties shared by the services that talk to Kafka. */}}
{{- define "qwm.kafkaConfig" -}}
{{- $c := dict "kafka.bootstrap.servers" (include "qwm.kafkaBootstrap" .) -}}
{{- toYaml (merge $c .Values.kafka.extraConfig) -}}
{{- end -}}

{{/* Workload ------------------------------------------------------------------------------------------------ */}}

{{/* Whether a service uses ONNX Runtime's CUDA build; args: the service's values. */}}
{{- define "qwm.usesGpu" -}}
{{- if eq (default "onnxruntime" .onnxRuntime) "onnxruntime_gpu" -}}true{{- end -}}
{{- end -}}

{{/* args: (dict "root" $ "svc" "encoder" "values" .Values.encoder) */}}
{{- define "qwm.image" -}}
{{- $tag := default .root.Chart.AppVersion .root.Values.images.tag -}}
{{- if include "qwm.usesGpu" .values -}}
{{- $tag = printf "%s%s" $tag .root.Values.images.gpuTagSuffix -}}
{{- end -}}
{{- printf "%s/qwm-%s:%s" (trimSuffix "/" .root.Values.images.repository) .svc $tag -}}
{{- end -}}

{{/* The ConfigMap of one service: chart-derived properties, then the chart-wide config, then the service's
     own config (later wins). args: (dict "root" $ "svc" "encoder" "values" .Values.encoder "properties" $map) */}}
{{- define "qwm.configMap" -}}
{{- $props := merge (deepCopy .values.config) (deepCopy .root.Values.config) (deepCopy .properties) -}}
{{- $_ := set $props "quarkus.http.port" (toString .values.port) -}}
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ include "qwm.svcName" . }}
  labels:
    {{- include "qwm.componentLabels" . | nindent 4 }}
data:
  {{- include "qwm.envData" $props | trim | nindent 2 }}
  {{- $javaOptions := .values.javaOptions }}
  {{- if .root.Values.security.tls.enabled }}
  {{- /* system properties: the "0" of the TLS registry's PEM key store is a map key, which an environment
         variable's name cannot carry */}}
  {{- $javaOptions = printf "%s -Dquarkus.tls.key-store.pem.0.cert=%s/tls.crt -Dquarkus.tls.key-store.pem.0.key=%s/tls.key" (default "" $javaOptions) (include "qwm.tlsPath" .) (include "qwm.tlsPath" .) | trim }}
  {{- end }}
  {{- if $javaOptions }}
  JDK_JAVA_OPTIONS: {{ $javaOptions | quote }}
  {{- end }}
{{- end -}}

{{/* The Deployment of one service.
     args: (dict "root" $ "svc" "encoder" "values" .Values.encoder "configMap" $renderedConfigMap
                 "artifacts" ""|"ro"|"rw" "env" $extraEnvList "replicas" true|false) */}}
{{- define "qwm.deployment" -}}
{{- $root := .root -}}
{{- $v := .values -}}
{{- $gpu := include "qwm.usesGpu" $v -}}
{{- $resources := deepCopy $v.resources -}}
{{- $nodeSelector := deepCopy $v.nodeSelector -}}
{{- $tolerations := $v.tolerations -}}
{{- $tlsOn := $root.Values.security.tls.enabled -}}
{{- $scheme := ternary "HTTPS" "HTTP" $tlsOn -}}
{{- if $gpu -}}
{{- $limits := default (dict) $resources.limits -}}
{{- $_ := set $limits $v.gpu.resourceName (int $v.gpu.count) -}}
{{- $_ := set $resources "limits" $limits -}}
{{- $nodeSelector = merge $nodeSelector $v.gpu.nodeSelector -}}
{{- $tolerations = concat $v.tolerations $v.gpu.tolerations -}}
{{- end -}}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "qwm.svcName" . }}
  labels:
    {{- include "qwm.componentLabels" . | nindent 4 }}
spec:
  {{- if .replicas }}
  replicas: {{ $v.replicas }}
  {{- end }}
  revisionHistoryLimit: 5
  selector:
    matchLabels:
      {{- include "qwm.selectorLabels" . | nindent 6 }}
  template:
    metadata:
      labels:
        {{- include "qwm.selectorLabels" . | nindent 8 }}
        app.kubernetes.io/version: {{ $root.Chart.AppVersion | quote }}
        app.kubernetes.io/part-of: qwm
      annotations:
        # a changed configuration rolls the pods
        checksum/config: {{ .configMap | sha256sum }}
        {{- if $root.Values.secretConfig }}
        checksum/secret-config: {{ toYaml $root.Values.secretConfig | sha256sum }}
        {{- end }}
        {{- if $root.Values.metrics.podAnnotations }}
        prometheus.io/scrape: "true"
        prometheus.io/port: {{ $v.port | quote }}
        prometheus.io/path: /q/metrics
        prometheus.io/scheme: {{ lower $scheme | quote }}
        {{- end }}
        {{- with $v.podAnnotations }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
    spec:
      serviceAccountName: {{ include "qwm.serviceAccountName" $root }}
      automountServiceAccountToken: false
      enableServiceLinks: false
      securityContext:
        {{- toYaml $root.Values.podSecurityContext | nindent 8 }}
      {{- with $root.Values.images.pullSecrets }}
      imagePullSecrets:
        {{- range . }}
        - name: {{ . }}
        {{- end }}
      {{- end }}
      {{- if and $gpu $v.gpu.runtimeClassName }}
      runtimeClassName: {{ $v.gpu.runtimeClassName }}
      {{- end }}
      containers:
        - name: {{ .svc }}
          image: {{ include "qwm.image" . | quote }}
          imagePullPolicy: {{ $root.Values.images.pullPolicy }}
          ports:
            # gRPC is served on the HTTP port (quarkus.grpc.server.use-separate-server=false)
            - name: http
              containerPort: {{ $v.port }}
              protocol: TCP
          envFrom:
            - configMapRef:
                name: {{ include "qwm.svcName" . }}
            {{- if $root.Values.secretConfig }}
            - secretRef:
                name: {{ include "qwm.fullname" $root }}-config
            {{- end }}
          env:
            - name: POD_NAME
              valueFrom:
                fieldRef:
                  fieldPath: metadata.name
            {{- if $tlsOn }}
            # HTTPS only (gRPC too) with the TLS Secret's certificate (JDK_JAVA_OPTIONS gives it to Quarkus' TLS
            # registry); calls to other qwm services trust its CA
            - {name: QUARKUS_HTTP_SSL_PORT, value: {{ $v.port | quote }}}
            - {name: QUARKUS_HTTP_INSECURE_REQUESTS, value: disabled}
            - {name: QWM_TLS_CA, value: {{ printf "%s/ca.crt" (include "qwm.tlsPath" .) | quote }}}
            {{- end }}
            {{- if $root.Values.security.auth.enabled }}
            # every request but the probes and metrics needs this bearer token, and the service sends it
            - name: QWM_AUTH_TOKEN
              valueFrom:
                secretKeyRef:
                  name: {{ include "qwm.tokenSecretName" $root }}
                  key: {{ $root.Values.security.auth.tokenKey }}
            {{- end }}
            {{- with .env }}
            {{- toYaml . | nindent 12 }}
            {{- end }}
            {{- with $v.extraEnv }}
            {{- toYaml . | nindent 12 }}
            {{- end }}
          resources:
            {{- toYaml $resources | nindent 12 }}
          securityContext:
            {{- toYaml $root.Values.containerSecurityContext | nindent 12 }}
          startupProbe:
            httpGet: {path: /q/health/started, port: http, scheme: {{ $scheme }}}
            periodSeconds: {{ $v.probes.startup.periodSeconds }}
            failureThreshold: {{ $v.probes.startup.failureThreshold }}
            timeoutSeconds: 3
          readinessProbe:
            httpGet: {path: /q/health/ready, port: http, scheme: {{ $scheme }}}
            periodSeconds: {{ $v.probes.readiness.periodSeconds }}
            failureThreshold: {{ $v.probes.readiness.failureThreshold }}
            timeoutSeconds: 3
          livenessProbe:
            httpGet: {path: /q/health/live, port: http, scheme: {{ $scheme }}}
            periodSeconds: {{ $v.probes.liveness.periodSeconds }}
            failureThreshold: {{ $v.probes.liveness.failureThreshold }}
            timeoutSeconds: 3
          volumeMounts:
            - name: tmp
              mountPath: /tmp
            {{- if $tlsOn }}
            - name: tls
              mountPath: {{ include "qwm.tlsPath" . }}
              readOnly: true
            {{- end }}
            {{- if .artifacts }}
            - name: artifacts
              mountPath: {{ $root.Values.artifacts.mountPath }}
              readOnly: {{ eq .artifacts "ro" }}
            {{- end }}
      volumes:
        - name: tmp
          emptyDir:
            sizeLimit: {{ $root.Values.tmpSizeLimit }}
        {{- if $tlsOn }}
        - name: tls
          secret:
            secretName: {{ include "qwm.tlsSecretName" $root }}
            defaultMode: 0440
        {{- end }}
        {{- if .artifacts }}
        - name: artifacts
          {{- if $root.Values.artifacts.persistence.enabled }}
          persistentVolumeClaim:
            claimName: {{ include "qwm.artifactsClaim" $root }}
            readOnly: {{ eq .artifacts "ro" }}
          {{- else }}
          emptyDir: {}
          {{- end }}
        {{- end }}
      {{- with $nodeSelector }}
      nodeSelector:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $tolerations }}
      tolerations:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $v.affinity }}
      affinity:
        {{- toYaml . | nindent 8 }}
      {{- end }}
{{- end -}}

{{/* The Service of one service; args: (dict "root" $ "svc" "encoder" "values" .Values.encoder) */}}
{{- define "qwm.service" -}}
apiVersion: v1
kind: Service
metadata:
  name: {{ include "qwm.svcName" . }}
  labels:
    {{- include "qwm.componentLabels" . | nindent 4 }}
spec:
  type: ClusterIP
  selector:
    {{- include "qwm.selectorLabels" . | nindent 4 }}
  ports:
    - name: http
      port: {{ .values.port }}
      targetPort: http
      protocol: TCP
{{- end -}}

{{- define "qwm.pdb" -}}
{{- if .values.pdb.enabled }}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ include "qwm.svcName" . }}
  labels:
    {{- include "qwm.componentLabels" . | nindent 4 }}
spec:
  minAvailable: {{ .values.pdb.minAvailable }}
  selector:
    matchLabels:
      {{- include "qwm.selectorLabels" . | nindent 6 }}
{{- end }}
{{- end -}}

{{/* Absolute bundle paths for a preload list; args: (dict "root" $ "list" .Values.encoder.preload) */}}
{{- define "qwm.preloadPaths" -}}
{{- $paths := list -}}
{{- range .list -}}
{{- $paths = append $paths (printf "%s/%s" (trimSuffix "/" $.root.Values.artifacts.mountPath) (trimPrefix "/" .)) -}}
{{- end -}}
{{- join "," $paths -}}
{{- end -}}
