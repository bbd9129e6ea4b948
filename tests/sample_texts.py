"""Texts of the sample corpus, per language and mail type, written from ../shared/meta-mails.md.

Wording where the report has none verbatim is our own plausible rendering: rules must not depend on it.
Placeholders: {name} greeting name, {link} objection link, {date} a date.
"""

NOTICE_2024 = {
    "de": (
        "Wir aktualisieren unsere Datenschutzrichtlinie, da wir KI bei Meta ausweiten",
        "Hallo {name},\n\nwir bereiten uns darauf vor, KI bei Meta in deiner Region auszuweiten. "
        "KI bei Meta ist unsere Sammlung generativer KI-Funktionen und -Erlebnisse, wie Meta AI und "
        "AI Creative Tools, sowie der Modelle, die dahinterstehen.\n\n"
        "Was das für dich bedeutet\nUm dir diese Erlebnisse zu bieten, stützen wir uns künftig auf "
        "die Rechtsgrundlage der berechtigten Interessen, wenn wir deine Informationen verwenden, um "
        "KI bei Meta zu entwickeln und zu verbessern. Du hast das Recht, dieser Verwendung deiner "
        "Informationen zu widersprechen. Wenn deinem Widerspruch stattgegeben wird, wird dieser in "
        "Zukunft berücksichtigt.\n\nDie aktualisierte Datenschutzrichtlinie gilt ab dem 26. Juni 2024.",
    ),
    "en": (
        "We're updating our Privacy Policy as we expand AI at Meta",
        "Hi {name},\n\nWe're getting ready to expand our AI at Meta experiences to your region. AI at "
        "Meta is our collection of generative AI features and experiences, like Meta AI and AI "
        "creative tools, along with the models that power them.\n\nWhat this means for you\n"
        "To help bring these experiences to you, we'll now rely on the legal basis called legitimate "
        "interests for using your information to develop and improve AI at Meta. This means that you "
        "have the right to object to how your information is used for these purposes. If your "
        "objection is honored, it will be applied going forward.\n\nOur updated Privacy Policy takes "
        "effect on June 26, 2024.",
    ),
    "fr": (
        "Nous mettons à jour notre Politique de confidentialité à mesure que nous étendons l’IA de Meta",
        "Bonjour {name},\n\nNous nous apprêtons à étendre nos expériences de l’IA de Meta dans votre "
        "région. L’IA de Meta regroupe nos fonctionnalités et expériences d’IA générative, comme Meta "
        "AI et les outils créatifs d’IA, ainsi que les modèles qui les alimentent.\n\nNous nous "
        "appuierons désormais sur la base légale de nos intérêts légitimes afin d’utiliser vos "
        "informations pour développer et améliorer l’IA de Meta. Vous avez le droit de vous opposer à "
        "l’utilisation de vos informations à ces fins. Si votre opposition est acceptée, elle "
        "s’appliquera à l’avenir.\n\nNotre Politique de confidentialité mise à jour entre en vigueur le "
        "26 juin 2024.",
    ),
    "nl": (
        "We werken ons Privacybeleid bij nu we AI bij Meta uitbreiden",
        "Hoi {name},\n\nWe maken ons klaar om onze ervaringen met AI bij Meta uit te breiden naar jouw "
        "regio. AI bij Meta is onze verzameling generatieve AI-functies en -ervaringen, zoals Meta AI "
        "en creatieve AI-tools, en de modellen die ze mogelijk maken.\n\nWe baseren ons voortaan op "
        "gerechtvaardigde belangen om je informatie te gebruiken voor het ontwikkelen en verbeteren van "
        "AI bij Meta. Je hebt het recht om bezwaar te maken tegen het gebruik van je informatie voor "
        "deze doeleinden. Als je bezwaar wordt gehonoreerd, geldt het vanaf dat moment.\n\nOns "
        "bijgewerkte Privacybeleid gaat in op 26 juni 2024.",
    ),
    "it": (
        "Aggiorniamo la nostra Informativa sulla privacy mentre espandiamo l'IA in Meta",
        "Ciao {name},\n\nci stiamo preparando a espandere le nostre esperienze di IA in Meta nella tua "
        "area geografica. L'IA in Meta è la nostra raccolta di funzionalità ed esperienze di IA "
        "generativa, come Meta AI e gli strumenti creativi di IA, insieme ai modelli che le "
        "alimentano.\n\nD'ora in poi ci baseremo sulla base giuridica chiamata interesse legittimo per "
        "l'uso delle tue informazioni per sviluppare e migliorare l'IA in Meta. Hai diritto di opporti "
        "all'uso delle tue informazioni per tali finalità. Se la tua opposizione verrà accolta, sarà "
        "applicata d'ora in avanti.",
    ),
    "es": (
        "Actualizamos nuestra Política de privacidad a medida que ampliamos la IA en Meta",
        "Hola, {name}:\n\nNos estamos preparando para ampliar nuestras experiencias de IA en Meta a tu "
        "región. La IA en Meta es nuestro conjunto de funciones y experiencias de IA generativa, como "
        "Meta AI y las herramientas creativas de IA, junto con los modelos que las hacen posibles.\n\n"
        "A partir de ahora nos basaremos en el interés legítimo para usar tu información con el fin de "
        "desarrollar y mejorar la IA en Meta. Tienes derecho a oponerte al uso de tu información para "
        "estos fines. Si tu objeción se acepta, se aplicará de aquí en adelante.",
    ),
    "pl": (
        "Aktualizujemy naszą Politykę prywatności, rozszerzając AI w Meta",
        "Cześć {name},\n\nprzygotowujemy się do udostępnienia funkcji AI w Meta w Twoim regionie. AI w "
        "Meta to nasz zbiór funkcji i doświadczeń generatywnej SI, takich jak Meta AI i kreatywne "
        "narzędzia AI, oraz modele, które je obsługują.\n\nOd teraz będziemy wykorzystywać Twoje "
        "informacje do rozwijania i ulepszania AI w Meta na podstawie prawnie uzasadnionego interesu. "
        "Masz prawo do sprzeciwu wobec wykorzystywania Twoich informacji w tych celach. Jeśli Twój "
        "sprzeciw zostanie uwzględniony, będzie stosowany od tej chwili.",
    ),
    "pt": (
        "Estamos a atualizar a nossa Política de Privacidade à medida que expandimos a IA na Meta",
        "Olá {name},\n\nEstamos a preparar-nos para expandir as nossas experiências de IA na Meta para "
        "a tua região. A IA na Meta é o nosso conjunto de funcionalidades e experiências de IA "
        "generativa, como a Meta AI e as ferramentas criativas de IA, bem como os modelos que as "
        "suportam.\n\nPassaremos a basear-nos em interesses legítimos para utilizar as tuas informações "
        "para desenvolver e melhorar a IA na Meta. Tens o direito de te opor à utilização das tuas "
        "informações para estes fins. Se a tua oposição for aceite, será aplicada daqui em diante.",
    ),
}

NOTICE_2025 = {
    "de": (
        "Erfahre, wie wir deine Informationen im Zuge der Verbesserung von KI bei Meta verwenden",
        "Hallo {name},\n\nwir verbessern KI bei Meta laufend. In diesem Zusammenhang möchten wir dich "
        "darüber informieren, dass wir öffentliche Informationen wie Beiträge und Kommentare von "
        "Konten, deren Inhaber*innen 18 Jahre oder älter sind, sowie deine Interaktionen mit "
        "KI bei Meta-Funktionen verwenden werden. Wir werden diese Informationen auf der Grundlage "
        "berechtigter Interessen verwenden, um generative KI-Modelle für KI bei Meta zu entwickeln und "
        "zu verbessern.\n\nDu kannst der Verwendung deiner Informationen zu diesen Zwecken "
        "widersprechen. Wenn du einen Widerspruch einreichst, werden wir dir eine E-Mail mit der "
        "Bestätigung senden, dass wir deine Interaktionen mit KI bei Meta-Funktionen oder deine "
        "öffentlichen Informationen von Meta-Produkten nicht mehr für die künftige Entwicklung und "
        "Verbesserung generativer KI-Modelle verwenden werden. Wenn du bereits widersprochen hast, "
        "brauchst du keinen weiteren Antrag zu stellen.\n\nWas du tun kannst\nWiderspruch einlegen",
    ),
    "en": (
        "Learn how we'll use your information as we improve AI at Meta",
        "Hi {name},\n\nWe're continuing to improve AI at Meta. AI at Meta is our collection of "
        "generative AI features and experiences, like Meta AI and AI creative tools, along with the "
        "models that power them.\n\nWe want you to know that we'll use public information, like public "
        "posts and comments from accounts of people 18 years or older, and your interactions with AI "
        "at Meta features, on the basis of legitimate interests to develop and improve generative AI "
        "models for AI at Meta.\n\nYou have the right to object to the use of your information for "
        "these purposes. If you submit an objection, we'll send you an email confirming that we won't "
        "use your interactions with AI at Meta features or your public information from Meta Products "
        "for future development and improvement of generative AI models for AI at Meta. If you've "
        "already objected, you don't need to submit another request.\n\nWhat you can do\nObject",
    ),
    "fr": (
        "Découvrez comment nous utiliserons vos informations à mesure que nous améliorons l’IA de Meta",
        "Bonjour {name},\n\nNous améliorons sans cesse l’IA de Meta. Nous souhaitons vous informer que "
        "nous utiliserons les informations publiques, comme les publications et commentaires publics "
        "des comptes de personnes âgées de 18 ans ou plus, ainsi que vos interactions avec les "
        "fonctionnalités de l’IA de Meta, sur la base de nos intérêts légitimes, afin de développer et "
        "d’améliorer les modèles d’IA générative de l’IA de Meta. Cela comprend toutes les informations "
        "publiques que vous avez partagées sur Facebook et Instagram depuis la création de votre "
        "compte.\n\nVous pouvez vous opposer à l’utilisation de vos informations à ces fins. Si vous "
        "vous opposez, nous vous enverrons un e-mail confirmant que nous n’utiliserons plus vos "
        "informations publiques pour le développement futur des modèles d’IA générative. Si vous vous "
        "êtes déjà opposé·e, vous n’avez pas besoin de soumettre une nouvelle demande.",
    ),
    "nl": (
        "Ontdek hoe we je informatie gaan gebruiken nu we AI bij Meta verbeteren",
        "Hoi {name},\n\nWe blijven AI bij Meta verbeteren. We willen je laten weten dat we openbare "
        "informatie, zoals openbare berichten en reacties van accounts van mensen van 18 jaar of ouder, "
        "en je interacties met functies van AI bij Meta gaan gebruiken op basis van gerechtvaardigde "
        "belangen, om generatieve AI-modellen voor AI bij Meta te ontwikkelen en te verbeteren.\n\n"
        "Je kunt bezwaar maken tegen het gebruik van je informatie voor deze doeleinden. Als je bezwaar "
        "indient, sturen we je een e-mail waarin we bevestigen dat we je openbare informatie niet meer "
        "gebruiken voor de toekomstige ontwikkeling van generatieve AI-modellen. Als je al bezwaar hebt "
        "gemaakt, hoef je geen nieuw verzoek in te dienen.",
    ),
    "it": (
        "Scopri come useremo le tue informazioni mentre miglioriamo l'IA in Meta",
        "Ciao {name},\n\ncontinuiamo a migliorare l'IA in Meta. Vogliamo informarti che useremo le "
        "informazioni pubbliche, come post e commenti pubblici degli account di persone con almeno 18 "
        "anni, e le tue interazioni con le funzionalità dell'IA in Meta, sulla base di interessi "
        "legittimi, per sviluppare e migliorare i modelli di IA generativa per l'IA in Meta.\n\n"
        "Hai diritto di opporti all'uso delle tue informazioni per tali finalità. Se ti opponi, ti "
        "invieremo un'e-mail per confermare che non useremo più le tue informazioni pubbliche per lo "
        "sviluppo futuro dei modelli di IA generativa. Se ti sei già opposto, non devi inviare "
        "un'altra richiesta.",
    ),
    "es": (
        "Descubre cómo usaremos tu información a medida que mejoramos la IA en Meta",
        "Hola, {name}:\n\nSeguimos mejorando la IA en Meta. Queremos informarte de que usaremos "
        "información pública, como publicaciones y comentarios públicos de cuentas de personas de 18 "
        "años o más, y tus interacciones con las funciones de la IA en Meta, en base al interés "
        "legítimo, para desarrollar y mejorar los modelos de IA generativa de la IA en Meta.\n\n"
        "Tienes derecho a oponerte al uso de tu información para estos fines. Si nos comunicas tu "
        "oposición, te enviaremos un correo electrónico para confirmarte que, a partir de ese momento, "
        "no utilizaremos tus interacciones con las funciones de la IA en Meta ni tu información pública "
        "procedente de los Productos de Meta para las finalidades mencionadas anteriormente.",
    ),
    "pl": (
        "Ulepszamy dla Ciebie funkcje SI. Dowiedz się, jak wykorzystamy Twoje informacje",
        "Cześć {name},\n\nstale ulepszamy AI w Meta. Chcemy Cię poinformować, że będziemy "
        "wykorzystywać informacje publiczne, takie jak publiczne posty i komentarze z kont osób, które "
        "ukończyły 18 lat, oraz Twoje interakcje z funkcjami AI w Meta, na podstawie prawnie "
        "uzasadnionych interesów, aby rozwijać i ulepszać generatywne modele SI.\n\nMasz prawo do "
        "sprzeciwu wobec wykorzystywania Twoich informacji w tych celach. Jeśli zgłosisz sprzeciw, "
        "wyślemy Ci e-mail z potwierdzeniem, że nie będziemy już wykorzystywać Twoich informacji "
        "publicznych do przyszłego rozwoju generatywnych modeli SI. Jeśli już zgłosiłeś sprzeciw, nie "
        "musisz składać kolejnego wniosku.",
    ),
    "pt": (
        "Sabe como vamos utilizar as tuas informações à medida que melhoramos a IA na Meta",
        "Olá {name},\n\nEstamos a melhorar continuamente a IA na Meta. Vamos utilizar as tuas interações "
        "com as funcionalidades de IA na Meta e as tuas informações públicas, como publicações e "
        "comentários de contas de pessoas com 18 anos ou mais, com base em interesses legítimos, para "
        "desenvolver e melhorar modelos de IA generativa.\n\nTens o direito de te opor à utilização das "
        "tuas informações para estes fins. Se te opuseres, enviaremos um e-mail a confirmar que não "
        "vamos utilizar as tuas informações públicas no desenvolvimento futuro de modelos de IA "
        "generativa. Se já te opuseste, não precisas de enviar outro pedido.",
    ),
}

ACCEPTED = {
    "de": (
        "Deine Anfrage zu KI bei Meta",
        "Hallo {name},\n\nwir haben deine Anfrage geprüft und werden deinem Widerspruch nachkommen. "
        "Das bedeutet, dass wir deine öffentlichen Informationen wie öffentliche Beiträge und "
        "Kommentare von Facebook und Instagram nicht für die künftige Entwicklung und Verbesserung "
        "generativer KI-Modelle für KI bei Meta verwenden werden.\n\nDein Widerspruch gilt auch für "
        "alle anderen Konten, die du derselben Kontenübersicht hinzugefügt hast.\n\nWeitere "
        "Informationen zu generativer KI und unserer Datenschutzarbeit findest du im Privacy Center.",
    ),
    "en": (
        "Your objection to the use of your information for AI at Meta",
        "Hi {name},\n\nWe will honour your objection for your public information, such as public posts "
        "and comments. This means that we won't use your public information from Facebook and "
        "Instagram for future development and improvement of generative AI models for our AI at Meta "
        "features and experiences.\n\nWe will also honour your objection for any other accounts that "
        "you've added to the same Accounts Centre as this account.\n\nIf you want to learn more about "
        "generative AI and our privacy work in this new space, please review the information we have "
        "in Privacy Centre.",
    ),
    "fr": (
        "Votre demande concernant l’IA de Meta",
        "Bonjour {name},\n\nNous avons examiné votre demande et nous accepterons votre opposition. Cela "
        "signifie que nous n’utiliserons pas vos informations publiques de Facebook et d’Instagram pour "
        "le développement et l’amélioration futurs des modèles d’IA générative de l’IA de Meta.\n\n"
        "Nous appliquerons également votre opposition pour tous les autres comptes que vous avez "
        "ajoutés au même Espace Comptes.",
    ),
    "nl": (
        "Je bezwaar over AI bij Meta",
        "Hoi {name},\n\nWe honoreren je bezwaar voor je openbare informatie, zoals openbare berichten "
        "en reacties. Dit betekent dat we je openbare informatie van Facebook en Instagram niet "
        "gebruiken voor de toekomstige ontwikkeling en verbetering van generatieve AI-modellen voor "
        "AI bij Meta.\n\nWe honoreren je bezwaar ook voor alle andere accounts die je aan hetzelfde "
        "Accountcentrum hebt toegevoegd.",
    ),
    "it": (
        "La tua richiesta relativa all'IA in Meta",
        "Ciao {name},\n\nabbiamo esaminato la tua richiesta e abbiamo accolto la tua opposizione. Ciò "
        "significa che non useremo le tue informazioni pubbliche di Facebook e Instagram per lo "
        "sviluppo e il miglioramento futuri dei modelli di IA generativa per l'IA in Meta.\n\nLa tua "
        "opposizione vale anche per tutti gli altri account aggiunti allo stesso Centro gestione "
        "account.",
    ),
    "es": (
        "Tu solicitud sobre la IA en Meta",
        "Hola, {name}:\n\nHemos revisado tu solicitud y vamos a aceptar tu objeción. Esto significa que "
        "no usaremos tu información pública de Facebook e Instagram para el desarrollo y la mejora "
        "futuros de los modelos de IA generativa de la IA en Meta.\n\nSi quieres conocer más detalles "
        "sobre la IA generativa y nuestras iniciativas de privacidad, visita el Centro de privacidad.",
    ),
    "pl": (
        "Twój sprzeciw dotyczący AI w Meta",
        "Cześć {name},\n\nprzeanalizowaliśmy Twoje zgłoszenie i uwzględnimy Twój sprzeciw. Oznacza to, "
        "że nie będziemy wykorzystywać Twoich informacji publicznych z Facebooka i Instagrama do "
        "przyszłego rozwoju i ulepszania generatywnych modeli SI dla AI w Meta.\n\nTwój sprzeciw "
        "obejmuje także wszystkie inne konta dodane do tego samego Centrum kont.",
    ),
    "pt": (
        "O teu pedido sobre a IA na Meta",
        "Olá {name},\n\nAnalisámos o teu pedido e vamos aceitar a tua oposição. Isto significa que não "
        "vamos utilizar as tuas informações públicas do Facebook e do Instagram para o desenvolvimento "
        "e a melhoria futuros de modelos de IA generativa para a IA na Meta.\n\nA tua oposição aplica-se "
        "também a todas as outras contas adicionadas à mesma Central de Contas.",
    ),
}

CODE = {
    "en": (
        "Your confirmation code",
        "Hi {name},\n\nUse this code to confirm your objection request "
        "about AI at Meta:\n\n{code}\n\nThis code expires in 1 hour. If you didn't submit this request, "
        "you can ignore this email.",
    ),
    "de": (
        "Dein Bestätigungscode",
        "Hallo {name},\n\nverwende diesen Code, um deinen Widerspruch zu KI "
        "bei Meta zu bestätigen:\n\n{code}\n\nDer Code ist eine Stunde lang gültig. Falls du diese "
        "Anfrage nicht gestellt hast, kannst du diese E-Mail ignorieren.",
    ),
    "it": (
        "Il tuo codice di conferma",
        "Ciao {name},\n\nusa questo codice per confermare la tua "
        "richiesta di opposizione all'uso delle tue informazioni per l'IA in Meta:\n\n{code}\n\nIl "
        "codice scade tra un'ora.",
    ),
    "es": (
        "Tu código de confirmación",
        "Hola, {name}:\n\nIntroduce este código para confirmar tu "
        "solicitud de oposición sobre la IA en Meta:\n\n{code}\n\nEl código caduca en una hora.",
    ),
    "pt": (
        "O teu código de confirmação",
        "Olá {name},\n\nUsa este código para confirmar o teu pedido de "
        "oposição relativo à IA na Meta:\n\n{code}\n\nEste código expira dentro de uma hora.",
    ),
    "fr": (
        "Votre code de confirmation",
        "Bonjour {name},\n\nSaisissez ce code pour confirmer votre "
        "demande d’opposition concernant l’IA de Meta :\n\n{code}\n\nCe code expire dans une heure.",
    ),
}
